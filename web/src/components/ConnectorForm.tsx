import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type Connector } from "../api/client";
import { ApiProblem } from "../api/problem";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

/** One setting or secret a plane takes: its key in the API, its name in words, and when it is asked for. */
export interface PlaneField {
  key: string;
  label: string;
  hint?: string;
  /** Left out of the request when empty: the server applies its default. */
  optional?: boolean;
  /** A multi-line value (an armored key). */
  multiline?: boolean;
  choices?: Record<string, string>;
  /** Shown only when another setting has this value. */
  when?: { key: string; value: string };
}

interface Plane {
  label: string;
  settings: PlaneField[];
  secrets: PlaneField[];
}

const JAMF_USER = { key: "auth", value: "user" };
const JAMF_OAUTH = { key: "auth", value: "oauth" };

/** What each plane needs (mirrors connectors/registry.py; the server validates and names any gap). */
export const PLANES: Record<string, Plane> = {
  intune: {
    label: "Microsoft Intune (Graph)",
    settings: [
      { key: "tenant_id", label: "Directory (tenant) ID" },
      { key: "client_id", label: "Application (client) ID" },
    ],
    secrets: [{ key: "client_secret", label: "Client secret" }],
  },
  jamf: {
    label: "Jamf Pro",
    settings: [
      {
        key: "auth",
        label: "Sign-in",
        optional: true,
        choices: { oauth: "API client (OAuth client credentials)", user: "User account (bearer token)" },
      },
      { key: "client_id", label: "API client ID", when: JAMF_OAUTH },
      { key: "username", label: "User name", when: JAMF_USER },
    ],
    secrets: [
      { key: "client_secret", label: "API client secret", when: JAMF_OAUTH },
      { key: "password", label: "Password", when: JAMF_USER },
    ],
  },
  sccm: {
    label: "Configuration Manager (AdminService)",
    settings: [
      { key: "username", label: "User name", hint: "DOMAIN\\user, signed in with Windows authentication (NTLM)." },
      { key: "content_share", label: "Content source share", hint: "The UNC path the site server reads content from.", optional: true },
      { key: "content_mount", label: "Where that share is mounted here", hint: "A folder on the Fleetgate server.", optional: true },
      { key: "dp_group", label: "Distribution point group", hint: "All Distribution Points when empty.", optional: true },
    ],
    secrets: [{ key: "password", label: "Password" }],
  },
  landscape: {
    label: "Canonical Landscape",
    settings: [
      { key: "access_key_id", label: "API access key" },
      { key: "distribution", label: "Repository distribution", hint: "ubuntu when empty.", optional: true },
      { key: "series", label: "Series", hint: "jammy when empty.", optional: true },
      { key: "pocket", label: "Upload pocket", hint: "fleetgate when empty.", optional: true },
    ],
    secrets: [
      { key: "secret_key", label: "API secret key" },
      {
        key: "upload_key",
        label: "Package upload signing key",
        hint: "An armored OpenPGP secret key whose public half is an uploader key of the pocket; needed to publish.",
        optional: true,
        multiline: true,
      },
    ],
  },
  ansible: { label: "Ansible AWX / AAP", settings: [], secrets: [{ key: "token", label: "API token" }] },
};

function shown(f: PlaneField, settings: Record<string, string>): boolean {
  if (!f.when) return true;
  const current = settings[f.when.key] || (f.when.key === "auth" ? "oauth" : "");
  return current === f.when.value;
}

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
  const settingFields = plane.settings.filter((f) => shown(f, settings));
  const secretFields = plane.secrets.filter((f) => shown(f, settings));

  const save = useMutation({
    mutationFn: () => {
      const asked = new Set(secretFields.map((f) => f.key));
      const filledSecrets = Object.fromEntries(Object.entries(secrets).filter(([k, v]) => v && asked.has(k)));
      const planeSettings = Object.fromEntries(
        settingFields.filter((f) => !f.optional || settings[f.key]).map((f) => [f.key, settings[f.key] ?? ""]),
      );
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
        {settingFields.map((f) => (
          <Field key={f.key} path={`${prefix}.settings.${f.key}`} label={f.label} hint={f.hint} errors={errs.get(`settings.${f.key}`)}>
            {(p) =>
              f.choices ? (
                <select {...p} value={settings[f.key] ?? ""} onChange={(e) => setSettings({ ...settings, [f.key]: e.target.value })}>
                  {Object.entries(f.choices).map(([value, words], i) => (
                    <option key={value} value={i === 0 ? "" : value}>
                      {words}
                    </option>
                  ))}
                </select>
              ) : (
                <input {...p} value={settings[f.key] ?? ""} onChange={(e) => setSettings({ ...settings, [f.key]: e.target.value })} />
              )
            }
          </Field>
        ))}
        {secretFields.map((f) => (
          <Field
            key={f.key}
            path={`${prefix}.secrets.${f.key}`}
            label={f.label}
            hint={[f.hint, existing ? "Write-only. Leave empty to keep the stored value." : "Write-only: stored encrypted, never shown again."]
              .filter(Boolean)
              .join(" ")}
            errors={errs.get(`secrets.${f.key}`)}
          >
            {(p) =>
              f.multiline ? (
                <textarea
                  {...p}
                  rows={4}
                  spellCheck={false}
                  autoComplete="off"
                  value={secrets[f.key] ?? ""}
                  onChange={(e) => setSecrets({ ...secrets, [f.key]: e.target.value })}
                />
              ) : (
                <input
                  {...p}
                  type="password"
                  autoComplete="new-password"
                  value={secrets[f.key] ?? ""}
                  onChange={(e) => setSecrets({ ...secrets, [f.key]: e.target.value })}
                />
              )
            }
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
