import { Field } from "./Field";

/** Where a SIEM destination sends: what the add and the edit forms both ask for. */
export type SiemEndpoint = { host: string; port: string; format: "cef" | "json"; path: string };

export function SiemEndpointFields({
  prefix = "",
  form,
  set,
  errs,
  syslog,
  pathHint,
}: {
  /** Keeps field ids apart when an add and an edit form are on one page. */
  prefix?: string;
  form: SiemEndpoint;
  set: (changes: Partial<SiemEndpoint>) => void;
  errs: Map<string, string[]>;
  syslog: boolean;
  pathHint?: string;
}) {
  return (
    <>
      <Field path={`${prefix}host`} label="Host" errors={errs.get("host")}>
        {(p) => <input {...p} spellCheck={false} value={form.host} onChange={(e) => set({ host: e.target.value })} />}
      </Field>
      <Field path={`${prefix}port`} label="Port" errors={errs.get("port")}>
        {(p) => <input {...p} inputMode="numeric" value={form.port} onChange={(e) => set({ port: e.target.value })} />}
      </Field>
      {syslog ? (
        <Field path={`${prefix}format`} label="Format" errors={errs.get("format")}>
          {(p) => (
            <select {...p} value={form.format} onChange={(e) => set({ format: e.target.value as "cef" | "json" })}>
              <option value="cef">CEF</option>
              <option value="json">JSON</option>
            </select>
          )}
        </Field>
      ) : (
        <Field path={`${prefix}path`} label="Path" errors={errs.get("path")} hint={pathHint}>
          {(p) => <input {...p} spellCheck={false} value={form.path} onChange={(e) => set({ path: e.target.value })} />}
        </Field>
      )}
    </>
  );
}
