import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiProblem } from "../api/problem";
import { DEFAULT_PORTS, KIND_LABELS, type SiemDestination, type SiemKind, siem } from "../api/siem";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";
import { SiemEndpointFields } from "./SiemEndpointFields";

const KINDS = Object.keys(KIND_LABELS) as SiemKind[];
const EMPTY = {
  name: "",
  kind: "syslog-tls" as SiemKind,
  host: "",
  port: String(DEFAULT_PORTS["syslog-tls"]),
  format: "cef" as "cef" | "json",
  path: "",
  tlsCa: "",
  tlsVerify: true,
  token: "",
};

/** Add a SIEM destination: where, how (syslog TCP/TLS or HTTPS), in which format, and how TLS is checked. */
export function SiemDestinationForm({ onCreated }: { onCreated: (d: SiemDestination) => void }) {
  const [form, setForm] = useState(EMPTY);
  const syslog = form.kind.startsWith("syslog");
  const tls = form.kind !== "syslog-tcp";
  const create = useMutation({
    mutationFn: () =>
      siem.create({
        name: form.name.trim(),
        kind: form.kind,
        host: form.host.trim(),
        port: Number(form.port),
        format: syslog ? form.format : "json",
        ...(!syslog && form.path ? { path: form.path.trim() } : {}),
        ...(tls ? { tls_verify: form.tlsVerify, tls_ca_pem: form.tlsCa } : {}),
        ...(!syslog && form.token ? { secrets: { token: form.token } } : {}),
      }),
    onSuccess: (d) => {
      setForm(EMPTY);
      onCreated(d);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const set = (changes: Partial<typeof EMPTY>) => setForm({ ...form, ...changes });
  return (
    <form
      className="form card"
      aria-labelledby="new-siem-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 id="new-siem-h">Add a destination</h2>
      {create.error ? (
        <ProblemAlert error={create.error} title={problem?.status === 400 ? "The destination is not valid; see the marked fields" : undefined} />
      ) : null}
      <div className="row">
        <Field path="name" label="Name" errors={errs.get("name")} hint="Letters, digits and dashes, e.g. soc-rsyslog.">
          {(p) => <input {...p} value={form.name} onChange={(e) => set({ name: e.target.value })} />}
        </Field>
        <Field path="kind" label="Kind" errors={errs.get("kind")}>
          {(p) => (
            <select
              {...p}
              value={form.kind}
              onChange={(e) => {
                const kind = e.target.value as SiemKind;
                set({ kind, port: String(DEFAULT_PORTS[kind]), format: kind.startsWith("syslog") ? form.format : "json" });
              }}
            >
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <SiemEndpointFields form={form} set={set} errs={errs} syslog={syslog} pathHint="Empty: /services/collector/event for Splunk HEC." />
      </div>
      {!syslog ? (
        <Field
          path="secrets.token"
          label={form.kind === "https-hec" ? "HEC token" : "Bearer token (optional)"}
          errors={errs.get("secrets.token")}
          hint="Stored encrypted and never shown again."
        >
          {(p) => <input {...p} type="password" autoComplete="off" value={form.token} onChange={(e) => set({ token: e.target.value })} />}
        </Field>
      ) : null}
      {tls ? (
        <>
          <Field
            path="tls_ca_pem"
            label="CA certificate (PEM)"
            errors={errs.get("tls_ca_pem")}
            hint="The receiver's certificate must chain to it. Empty: the system's trusted authorities."
          >
            {(p) => <textarea {...p} rows={4} spellCheck={false} value={form.tlsCa} onChange={(e) => set({ tlsCa: e.target.value })} />}
          </Field>
          <label className="checkbox">
            <input type="checkbox" checked={form.tlsVerify} onChange={(e) => set({ tlsVerify: e.target.checked })} /> Verify
            the receiver's certificate and name
          </label>
        </>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          Add destination
        </button>
      </div>
    </form>
  );
}
