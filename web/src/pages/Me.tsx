import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { describeScope, ROLE_LABELS } from "../lib/permissions";

/** Who am I: identity, roles and the scope of each role, as the server sees them now. */
export function Me() {
  const me = useQuery({ queryKey: ["me"], queryFn: api.me });
  return (
    <Page title="Who am I">
      <DataState query={me} label="your identity">
        {me.data ? (
          <>
            <dl className="facts">
              <dt>Username</dt>
              <dd>{me.data.username}</dd>
              <dt>Kind</dt>
              <dd>{me.data.kind}</dd>
              <dt>Id</dt>
              <dd>
                <code>{me.data.id}</code>
              </dd>
            </dl>
            <h2>Roles and scopes</h2>
            {me.data.roles.length === 0 ? (
              <p className="empty">You hold no roles, so you can see nothing. Ask a Platform Admin.</p>
            ) : (
              <table className="table">
                <caption className="sr-only">Your roles and where each applies</caption>
                <thead>
                  <tr>
                    <th scope="col">Role</th>
                    <th scope="col">Boundary</th>
                    <th scope="col">Business units</th>
                    <th scope="col">In words</th>
                  </tr>
                </thead>
                <tbody>
                  {me.data.roles.map((g) => (
                    <tr key={`${g.role}-${g.boundary}-${(g.business_units ?? []).join(",")}`}>
                      <td>{ROLE_LABELS[g.role] ?? g.role}</td>
                      <td>
                        <code>{g.boundary ?? "*"}</code>
                      </td>
                      <td>
                        <code>{(g.business_units ?? ["*"]).join(", ")}</code>
                      </td>
                      <td>{describeScope(g)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        ) : null}
      </DataState>
    </Page>
  );
}
