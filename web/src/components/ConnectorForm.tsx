import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type Connector } from "../api/client";
import { ApiProblem } from "../api/problem";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

/** What each plane needs (mirrors connectors/registry.py; the server validates and names any gap). */
export const PLANES: Record<string, { label: string; settings: string[]; secrets: string[] }> = {
  intune: { label: "Microsoft Intune (Graph)", settings: ["tenant_id", "client_id"], secrets: ["client_secret"] },
  jamf: { label: "Jamf Pro", settings: ["client_id"], secrets: ["client_secret"] },
  sccm: { label: "Configuration Manager (AdminService)", settings: ["username"], secrets: ["password"] },
  landscape: { label: "Canonical Landscape", settings: ["access_key_id"], secrets: ["secret_key"] },
  ansible: { label: "Ansible AWX / AAP", settings: [], secrets: ["token"] },
};

/**
 * Create a connector, or change one (Platform Admin). Secrets are write-only: typed here, sent once,
 * stored encrypted; an empty secret field on edit keeps the stored value.
 */
export function ConnectorForm({ existing, onSaved }: { existing?: Connector; onSaved: (c: Connector) => void }) {
  const [name, setName] = useState(existing?.name ?? "");
  const [kind, setKind] = useState(existing?.kind ?? "intune");
  const [baseUrl, setBaseUrl] = useState(existing?.base_url ?? "");
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [dryRun, setDryRun] = useState(existing?.dry_run ?? true);
  const initialSettings = (existing?.settings as Record<string, string> | undefined) ?? {};
  const [settings, setSettings] = useState<Record<string, string>>(initialSettings);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const plane = PLANES[kind] ?? { label: kind, settings: [], secrets: [] };

  const save = useMutation({
    mutationFn: () => {
      const filledSecrets = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v));
      const planeSettings = Object.fromEntries(plane.settings.map((k) => [k, settings[k] ?? ""]));
      const mergedSettings = { ...initialSettings, ...planeSettings };
      if (existing) {
        return api.connectors.update(existing.id, existing.etag, {
          base_url: baseUrl,
          enabled,
          dry_run: dryRun,
          settings: mergedSettings,
          ...(Object.keys(filledSecrets).length ? { secrets: filledSecrets } : {}),
        });
      }
      return api.connectors.create({ name, kind, base_url: baseUrl, enabled, dry_run: dryRun, settings: mergedSettings, secrets: filledSecrets });
    },
    onSuccess: (c) => {
      setSecrets({});
      onSaved(c);
    },
  });
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const errs = problem?.status === 400 ? problem.fieldErrors() : new Map<string, string[]>();
  const prefix = existing ? "edit" : "new";
  return (
    <form
      className="form card"
      aria-labelledby={`${prefix}-conn-h`}
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 id={`${prefix}-conn-h`}>{existing ? "Change configuration" : "Add a connector"}</h2>
      {save.error ? (
        <ProblemAlert error={save.error} title={problem?.status === 400 ? "The connector is not valid; see the marked fields" : undefined} />
      ) : null}
      <div className="row">
        {existing ? null : (
          <>
            <Field path={`${prefix}.name`} label="Name (a slug)" errors={errs.get("name")}>
              {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
            </Field>
            <Field path={`${prefix}.kind`} label="Plane" errors={errs.get("kind")}>
              {(p) => (
                <select {...p} value={kind} onChange={(e) => setKind(e.target.value)}>
                  {Object.entries(PLANES).map(([k, v]) => (
                    <option key={k} value={k}>
                      {v.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </>
        )}
        <Field path={`${prefix}.base_url`} label="Base URL" errors={errs.get("base_url")}>
          {(p) => <input {...p} type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />}
        </Field>
      </div>
      <div className="row">
        {plane.settings.map((s) => (
          <Field key={s} path={`${prefix}.settings.${s}`} label={`Setting ${s}`} errors={errs.get(`settings.${s}`)}>
            {(p) => <input {...p} value={settings[s] ?? ""} onChange={(e) => setSettings({ ...settings, [s]: e.target.value })} />}
          </Field>
        ))}
        {plane.secrets.map((s) => (
          <Field
            key={s}
            path={`${prefix}.secrets.${s}`}
            label={`Secret ${s}`}
            hint={existing ? "Write-only. Leave empty to keep the stored value." : "Write-only: stored encrypted, never shown again."}
            errors={errs.get(`secrets.${s}`)}
          >
            {(p) => (
              <input
                {...p}
                type="password"
                autoComplete="new-password"
                value={secrets[s] ?? ""}
                onChange={(e) => setSecrets({ ...secrets, [s]: e.target.value })}
              />
            )}
          </Field>
        ))}
      </div>
      <div className="checks">
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled
        </label>
        <label className="check">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run (record requests, change
          nothing)
        </label>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : existing ? "Save changes" : "Add connector"}
        </button>
      </div>
    </form>
  );
}
