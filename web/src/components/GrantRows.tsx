import { useQuery } from "@tanstack/react-query";
import { api, type RoleName, type Schemas } from "../api/client";
import { useUser } from "../auth/session";
import { knownScopes } from "../lib/catalog";
import { ALL_ROLES, ROLE_LABELS } from "../lib/permissions";
import { BusinessUnitChecks, ScopeSelect } from "./ScopeSelect";

export type Grant = Schemas["RoleGrantRequest"];

/** A person's roles, each with its scope picked from the boundaries and business units Fleetgate knows. */
export function GrantRows({ grants, onChange, idPrefix }: { grants: Grant[]; onChange: (g: Grant[]) => void; idPrefix: string }) {
  const user = useUser();
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const unitsIn = (boundary: string) => knownScopes(user, apps.data ?? [], { boundary: boundary === "*" ? undefined : boundary }).businessUnits;
  const boundaries = knownScopes(user, apps.data ?? []).boundaries;
  const update = (i: number, patch: Partial<Grant>) => onChange(grants.map((g, j) => (j === i ? { ...g, ...patch } : g)));
  return (
    <>
      <ul className="grant-rows">
        {grants.map((g, i) => {
          const boundary = g.boundary ?? "*";
          const units = g.business_units ?? ["*"];
          return (
            <li key={i} className="row">
              <div className="field">
                <label htmlFor={`${idPrefix}-role-${i}`}>Role {i + 1}</label>
                <select id={`${idPrefix}-role-${i}`} value={g.role} onChange={(e) => update(i, { role: e.target.value as RoleName })}>
                  {ALL_ROLES.map((r) => (
                    <option key={r} value={r}>
                      {ROLE_LABELS[r]}
                    </option>
                  ))}
                </select>
              </div>
              <ScopeSelect
                path={`${idPrefix}-boundary-${i}`}
                label={`Scope ${i + 1}: boundary`}
                value={boundary}
                onChange={(v) => update(i, { boundary: v, business_units: units.filter((u) => u === "*" || unitsIn(v).includes(u)) })}
                options={boundaries}
                special={[{ value: "*", label: "Every boundary" }]}
              />
              <BusinessUnitChecks
                path={`${idPrefix}-bus-${i}`}
                legend={`Scope ${i + 1}: business units`}
                value={units}
                onChange={(v) => update(i, { business_units: v })}
                options={unitsIn(boundary)}
              />
              <button type="button" className="btn btn-ghost" onClick={() => onChange(grants.filter((_, j) => j !== i))}>
                Remove role {i + 1}
              </button>
            </li>
          );
        })}
      </ul>
      <button type="button" className="btn" onClick={() => onChange([...grants, { role: "auditor", boundary: "*", business_units: ["*"] }])}>
        Add a role
      </button>
    </>
  );
}
