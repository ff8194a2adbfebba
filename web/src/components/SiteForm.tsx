import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { useUser } from "../auth/session";
import { knownScopes } from "../lib/catalog";
import { ScopeSelect } from "./ScopeSelect";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiProblem } from "../api/problem";
import { PLANE_LABELS, type Plane, SITE_CLASS_LABELS, type Site, type SiteWrite, sites } from "../api/sites";
import { unplacedErrors } from "../lib/fields";
import { timeZones } from "../lib/time";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";
import { UnplacedErrors } from "./UnplacedErrors";

type SiteClass = SiteWrite["site_class"];
type Form = {
  name: string;
  title: string;
  siteClass: SiteClass;
  boundary: string;
  plane: Plane;
  connectorName: string;
  timeZone: string;
  publicKey: string;
  active: boolean;
};

const EMPTY: Form = { name: "", title: "", siteClass: "online", boundary: "", plane: "intune", connectorName: "", timeZone: "UTC", publicKey: "", active: true };
const PLACED = ["name", "title", "site_class", "boundary", "plane", "connector_name", "time_zone", "public_key_pem", "active"];

function formOf(s: Site): Form {
  return {
    name: s.name,
    title: s.title ?? "",
    siteClass: s.site_class as SiteClass,
    boundary: s.boundary,
    plane: s.plane as Plane,
    connectorName: s.connector_name ?? "",
    timeZone: s.time_zone ?? "UTC",
    publicKey: s.public_key_pem ?? "",
    active: s.active ?? true,
  };
}

function bodyOf(f: Form) {
  return {
    title: f.title.trim(),
    site_class: f.siteClass,
    boundary: f.boundary.trim(),
    plane: f.plane,
    connector_name: f.connectorName.trim(),
    time_zone: f.timeZone,
    public_key_pem: f.publicKey.trim(),
  };
}

/**
 * Register a site, or edit one (`site` given; its name stays): class, boundary, plane, time zone and,
 * for air-gapped sites, the bundle key of the Fleetgate installed there. The server's errors land on the fields.
 */
export function SiteForm({ site, onDone, onCancel }: { site?: Site; onDone: (s: Site, created: boolean) => void; onCancel: () => void }) {
  const [form, setForm] = useState<Form>(() => (site ? formOf(site) : EMPTY));
  const user = useUser();
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  // Sites are a Platform Admin's: only boundaries such a grant covers.
  const known = knownScopes(user, apps.data ?? [], { roles: ["platform_admin"] });
  const headRef = useRef<HTMLHeadingElement>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const save = useMutation({
    mutationFn: () => (site ? sites.update(site.id, site.etag, { ...bodyOf(form), active: form.active }) : sites.register({ name: form.name.trim(), ...bodyOf(form) })),
    onSuccess: (s) => onDone(s, !site),
  });
  useEffect(() => headRef.current?.focus(), []);
  useEffect(() => {
    if (save.isError) alertRef.current?.focus();
  }, [save.isError]);
  const problem = save.error instanceof ApiProblem ? save.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const others = unplacedErrors(errs, (path) => PLACED.includes(path));
  const set = (changes: Partial<Form>) => setForm({ ...form, ...changes });
  const p = site ? "site-edit." : "site-new.";
  const headingId = site ? "edit-site-h" : "new-site-h";
  const title =
    problem?.status === 400 ? "The site is not valid; see the marked fields" : problem?.status === 412 ? "Someone changed this site meanwhile; cancel and edit it again" : undefined;
  return (
    <form
      className="form card"
      aria-labelledby={headingId}
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <h2 id={headingId} ref={headRef} tabIndex={-1}>
        {site ? `Edit site “${site.title || site.name}”` : "Register a site"}
      </h2>
      {save.error ? <ProblemAlert ref={alertRef} error={save.error} title={title} /> : null}
      <UnplacedErrors errors={others} />
      <div className="row">
        {site ? null : (
          <Field path={`${p}name`} label="Name" errors={errs.get("name")} hint="Lowercase letters, digits and hyphens, e.g. vault-north. It cannot change later.">
            {(a) => <input {...a} spellCheck={false} value={form.name} onChange={(e) => set({ name: e.target.value })} />}
          </Field>
        )}
        <Field path={`${p}title`} label="Title (optional)" errors={errs.get("title")} hint="How people call it, e.g. Vault North.">
          {(a) => <input {...a} value={form.title} onChange={(e) => set({ title: e.target.value })} />}
        </Field>
      </div>
      <div className="row">
        <Field path={`${p}site_class`} label="Site class" errors={errs.get("site_class")}>
          {(a) => (
            <select {...a} value={form.siteClass} onChange={(e) => set({ siteClass: e.target.value as SiteClass })}>
              {Object.entries(SITE_CLASS_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ScopeSelect
          path={`${p}boundary`}
          label="Boundary"
          value={form.boundary}
          onChange={(v) => set({ boundary: v })}
          options={known.boundaries}
          placeholder={apps.isPending ? "Loading boundaries…" : "Choose a boundary"}
          freeText={apps.isSuccess && known.boundaries.length === 0}
          errors={errs.get("boundary")}
          hint={
            apps.isSuccess && known.boundaries.length === 0
              ? "The acquisition boundary the site belongs to. Fleetgate knows no boundary yet; type its name."
              : "The acquisition boundary the site belongs to."
          }
        />
        <Field path={`${p}time_zone`} label="Time zone" errors={errs.get("time_zone")}>
          {(a) => (
            <select {...a} value={form.timeZone} onChange={(e) => set({ timeZone: e.target.value })}>
              {[...new Set([form.timeZone, ...timeZones()])].map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <Field path={`${p}plane`} label="Execution plane" errors={errs.get("plane")}>
          {(a) => (
            <select {...a} value={form.plane} onChange={(e) => set({ plane: e.target.value as Plane })}>
              {Object.entries(PLANE_LABELS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path={`${p}connector_name`} label="Connector (optional)" errors={errs.get("connector_name")} hint="The connector that serves the site, when it is reachable.">
          {(a) => <input {...a} spellCheck={false} value={form.connectorName} onChange={(e) => set({ connectorName: e.target.value })} />}
        </Field>
      </div>
      <Field
        path={`${p}public_key_pem`}
        label={form.siteClass === "air_gapped" ? "Bundle key of the site's Fleetgate (PEM)" : "Bundle key of the site's Fleetgate (PEM, optional)"}
        errors={errs.get("public_key_pem")}
        hint="The Ed25519 public key its installation signs result bundles with; an air-gapped site needs one. It is public: no secret is asked for or shown."
      >
        {(a) => <textarea {...a} rows={4} spellCheck={false} value={form.publicKey} onChange={(e) => set({ publicKey: e.target.value })} />}
      </Field>
      {site ? (
        <label className="checkbox">
          <input type="checkbox" checked={form.active} onChange={(e) => set({ active: e.target.checked })} /> Active (bundles are exported to it and its results accepted)
        </label>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : site ? "Save changes" : "Register site"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
