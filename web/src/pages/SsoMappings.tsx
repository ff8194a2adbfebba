import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, type RoleName } from "../api/client";
import { ApiProblem } from "../api/problem";
import { type GroupMapping, type GroupMappingWrite, sso } from "../api/sso";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Field } from "../components/Field";
import { BusinessUnitChecks, ScopeSelect } from "../components/ScopeSelect";
import { knownScopes } from "../lib/catalog";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { Table } from "../components/Table";
import { ROLE_LABELS, hasRole, isPlatformAdmin } from "../lib/permissions";
import { NotAllowed } from "./NotFound";

const KEY = ["sso-mappings"];
const KIND_LABELS = { group: "Group", app_role: "App role" } as const;
// Roles that decide or administer come through role-grant requests (dual control), never from a group.
const MAPPABLE: RoleName[] = ["packaging_engineer", "publisher", "endpoint_ops", "auditor"];
const EMPTY = { kind: "group" as GroupMappingWrite["kind"], value: "", role: "publisher" as RoleName, boundary: "*", units: ["*"], description: "" };

function units(row: GroupMapping): string {
  return row.business_units.includes("*") ? "all business units" : row.business_units.join(", ");
}

function MappingForm({ onCreated }: { onCreated: (row: GroupMapping) => void }) {
  const [form, setForm] = useState(EMPTY);
  const user = useUser();
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const known = knownScopes(user, apps.data ?? [], { boundary: form.boundary === "*" ? undefined : form.boundary });
  const create = useMutation({
    mutationFn: () =>
      sso.createMapping({
        kind: form.kind,
        value: form.value.trim(),
        role: form.role,
        boundary: form.boundary.trim(),
        business_units: form.units,
        description: form.description.trim(),
      }),
    onSuccess: (row) => {
      setForm(EMPTY);
      onCreated(row);
    },
  });
  const knownUnitsIn = (b: string) => knownScopes(user, apps.data ?? [], { boundary: b === "*" ? undefined : b }).businessUnits;
  const errs = create.error instanceof ApiProblem ? create.error.fieldErrors() : new Map<string, string[]>();
  return (
    <form
      className="form card"
      aria-labelledby="new-mapping-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 id="new-mapping-h">Add a mapping</h2>
      {create.error ? <ProblemAlert error={create.error} /> : null}
      <div className="row">
        <Field path="kind" label="Claim" errors={errs.get("kind")}>
          {(p) => (
            <select {...p} value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as typeof form.kind })}>
              <option value="group">Group (groups claim)</option>
              <option value="app_role">App role (roles claim)</option>
            </select>
          )}
        </Field>
        <Field
          path="value"
          label={form.kind === "group" ? "Group object id" : "App role value"}
          errors={errs.get("value")}
          hint="As the identity provider puts it in the token."
        >
          {(p) => (
            <input {...p} spellCheck={false} value={form.value} onChange={(e) => setForm({ ...form, value: e.target.value })} />
          )}
        </Field>
      </div>
      <div className="row">
        <Field path="role" label="Role" errors={errs.get("role")}>
          {(p) => (
            <select {...p} value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as RoleName })}>
              {MAPPABLE.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ScopeSelect
          path="boundary"
          label="Boundary"
          value={form.boundary}
          onChange={(v) => setForm({ ...form, boundary: v, units: form.units.filter((u) => u === "*" || knownUnitsIn(v).includes(u)) })}
          options={known.boundaries}
          special={[{ value: "*", label: "Every boundary" }]}
          errors={errs.get("boundary")}
        />
      </div>
      <BusinessUnitChecks path="business_units" legend="Business units" value={form.units} onChange={(units) => setForm({ ...form, units })} options={known.businessUnits} errors={errs.get("business_units")} />
      <Field path="description" label="Description (optional)" errors={errs.get("description")}>
        {(p) => (
          <input {...p} value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
        )}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !form.value.trim()}>
          {create.isPending ? "Adding…" : "Add mapping"}
        </button>
      </div>
    </form>
  );
}

/** Which identity-provider groups and app roles give which role, evaluated at every single sign-on. */
export function SsoMappings() {
  const user = useUser();
  const queryClient = useQueryClient();
  const allowed = hasRole(user, "platform_admin", "auditor");
  const list = useQuery({ queryKey: KEY, queryFn: sso.mappings, enabled: allowed });
  const [removing, setRemoving] = useState<GroupMapping | null>(null);
  const [changed, setChanged] = useState("");
  const remove = useMutation({
    mutationFn: (row: GroupMapping) => sso.deleteMapping(row.id),
    onSuccess: (_, row) => {
      setRemoving(null);
      setChanged(`${KIND_LABELS[row.kind ?? "group"]} ${row.value} no longer gives ${ROLE_LABELS[row.role]}.`);
      void queryClient.invalidateQueries({ queryKey: KEY });
    },
    onError: () => setRemoving(null),
  });
  if (!allowed) return <NotAllowed need="Platform Admin or Auditor" />;
  const manage = isPlatformAdmin(user);
  const rows = list.data ?? [];
  return (
    <Page
      title="Single sign-on"
      subtitle="Which groups and app roles at the identity provider give which role. Every sign-in applies it; an edit reaches signed-in people at their next request."
    >
      {changed ? (
        <p className="alert alert-success" role="status">
          {changed}
        </p>
      ) : null}
      {remove.error ? <ProblemAlert error={remove.error} retryLabel="Dismiss" onRetry={() => remove.reset()} /> : null}
      <DataState query={list} label="mappings" isEmpty={rows.length === 0} empty="No mappings yet: single sign-on gives nobody a role.">
        <Table
          caption="Group and app-role mappings"
          columns={[
            { label: "Claim", cell: (m: GroupMapping) => KIND_LABELS[m.kind ?? "group"] },
            { label: "Value", rowHeader: true, cell: (m) => <code className="digest">{m.value}</code> },
            { label: "Role", cell: (m) => ROLE_LABELS[m.role] },
            { label: "Scope", cell: (m) => `boundary ${m.boundary}, ${units(m)}` },
            { label: "Description", cell: (m) => m.description || "—" },
            ...(manage
              ? [
                  {
                    label: "Actions",
                    cell: (m: GroupMapping) => (
                      <button type="button" className="btn" onClick={() => setRemoving(m)} aria-label={`Remove ${m.value} → ${ROLE_LABELS[m.role]}…`}>
                        Remove…
                      </button>
                    ),
                  },
                ]
              : []),
          ]}
          rows={rows}
          rowKey={(m) => String(m.id)}
          rowData={(m) => ({ "data-mapping": m.value })}
        />
      </DataState>
      {manage ? (
        <MappingForm
          onCreated={(row) => {
            setChanged(`${KIND_LABELS[row.kind ?? "group"]} ${row.value} now gives ${ROLE_LABELS[row.role]}.`);
            void queryClient.invalidateQueries({ queryKey: KEY });
          }}
        />
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove the mapping of ${removing?.value ?? ""}?`}
        confirmLabel="Remove mapping"
        danger
        busy={remove.isPending}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing)}
      >
        <p>
          Everyone who holds {removing ? ROLE_LABELS[removing.role] : "the role"} only through it loses the role at their
          next request.
        </p>
      </ConfirmDialog>
    </Page>
  );
}
