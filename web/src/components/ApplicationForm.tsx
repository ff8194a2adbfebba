import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type Application, type Schemas } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { CATEGORIES, PLATFORMS, registrationScopes } from "../lib/catalog";
import { fieldErrorsOf, unplacedErrors } from "../lib/fields";
import { Field, FieldError } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

type Draft = { name: string; vendor: string; category: string; platforms: string[]; boundary: string; units: string[]; privileged: boolean };
/** Fields this form shows an error on; any other the server names goes to the summary. */
const PLACED = new Set(["name", "vendor", "category", "platforms", "boundary", "business_units"]);
const EMPTY: Draft = { name: "", vendor: "", category: "", platforms: [], boundary: "", units: [], privileged: false };

/** Register an application: boundary and business units are picked from what Fleetgate knows. */
export function ApplicationForm({ apps, onCreated, onCancel }: { apps: Application[]; onCreated: (app: Application) => void; onCancel: () => void }) {
  const user = useUser();
  const scopes = registrationScopes(user, apps);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [local, setLocal] = useState<Map<string, string[]>>(new Map());
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: (body: Schemas["ApplicationWriteRequest"]) => api.applications.create(body),
    onSuccess: async (app) => {
      await qc.invalidateQueries({ queryKey: ["applications"] });
      onCreated(app);
    },
  });
  const server = fieldErrorsOf(create.error instanceof ApiProblem ? create.error : null);
  const err = (path: string) => local.get(path) ?? server.get(path);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  function submit(e: FormEvent) {
    e.preventDefault();
    const problems = new Map<string, string[]>();
    if (!draft.name.trim()) problems.set("name", ["Enter the application's name."]);
    if (!draft.vendor.trim()) problems.set("vendor", ["Enter the vendor."]);
    if (!draft.category) problems.set("category", ["Choose a category."]);
    if (draft.platforms.length === 0) problems.set("platforms", ["Choose at least one platform."]);
    if (!draft.boundary.trim()) problems.set("boundary", ["Choose the boundary."]);
    if (draft.units.length === 0) problems.set("business_units", ["Choose at least one business unit."]);
    setLocal(problems);
    if (problems.size) return;
    create.mutate({
      name: draft.name.trim(),
      vendor: draft.vendor.trim(),
      category: draft.category as Schemas["ApplicationWriteRequest"]["category"],
      platforms: draft.platforms as Schemas["ApplicationWriteRequest"]["platforms"],
      boundary: draft.boundary.trim(),
      business_units: draft.units,
      privileged_tooling: draft.privileged,
    });
  }

  return (
    <form className="card form" onSubmit={submit} aria-labelledby="register-app-title" noValidate>
      <h2 id="register-app-title">Register an application</h2>
      <Field path="name" label="Name" errors={err("name")}>
        {(p) => <input {...p} value={draft.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" />}
      </Field>
      <Field path="vendor" label="Vendor" errors={err("vendor")}>
        {(p) => <input {...p} value={draft.vendor} onChange={(e) => set("vendor", e.target.value)} autoComplete="off" />}
      </Field>
      <Field path="category" label="Category" errors={err("category")}>
        {(p) => (
          <select {...p} value={draft.category} onChange={(e) => set("category", e.target.value)}>
            <option value="">Choose a category</option>
            {CATEGORIES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Checkboxes legend="Platforms" path="platforms" errors={err("platforms")} options={PLATFORMS.map((p) => ({ value: p.value, label: p.label }))} chosen={draft.platforms} onToggle={(v) => set("platforms", toggle(draft.platforms, v))} />
      <Field path="boundary" label="Boundary" errors={err("boundary")} hint={scopes.boundaries.length ? undefined : "Fleetgate knows no boundary in your scope yet; type the one your grant names."}>
        {(p) =>
          scopes.boundaries.length ? (
            <select {...p} value={draft.boundary} onChange={(e) => set("boundary", e.target.value)}>
              <option value="">Choose a boundary</option>
              {scopes.boundaries.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))}
            </select>
          ) : (
            <input {...p} value={draft.boundary} onChange={(e) => set("boundary", e.target.value)} autoComplete="off" />
          )
        }
      </Field>
      <Checkboxes legend="Business units" path="business_units" errors={err("business_units")} options={scopes.businessUnits.map((u) => ({ value: u, label: u }))} chosen={draft.units} onToggle={(v) => set("units", toggle(draft.units, v))} />
      <div className="field">
        <label className="checkbox">
          <input type="checkbox" checked={draft.privileged} onChange={(e) => set("privileged", e.target.checked)} /> Privileged tooling (every change needs CAB)
        </label>
      </div>
      {create.error && (server.size === 0 || unplacedErrors(server, (path) => PLACED.has(path)).length > 0) ? <ProblemAlert error={create.error} /> : null}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Registering…" : "Register application"}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Checkboxes({ legend, path, options, chosen, onToggle, errors }: { legend: string; path: string; options: { value: string; label: string }[]; chosen: string[]; onToggle: (v: string) => void; errors?: string[] }) {
  const errId = `f-${path}-error`;
  return (
    <fieldset className={`field checkboxes${errors?.length ? " field-invalid" : ""}`} aria-describedby={errors?.length ? errId : undefined}>
      <legend>{legend}</legend>
      {options.length === 0 ? <p className="small muted">None known in your scope.</p> : null}
      {options.map((o) => (
        <label key={o.value} className="checkbox">
          <input type="checkbox" checked={chosen.includes(o.value)} onChange={() => onToggle(o.value)} /> {o.label}
        </label>
      ))}
      <FieldError id={errId} errors={errors} />
    </fieldset>
  );
}
