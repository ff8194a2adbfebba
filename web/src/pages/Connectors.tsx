import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api } from "../api/client";
import { useUser } from "../auth/session";
import { ConnectorForm } from "../components/ConnectorForm";
import { DataState } from "../components/DataState";
import { Badge, OkBadge } from "../components/Governance";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatDateTime, humanize } from "../lib/format";
import { CIRCUIT, HEALTH, OPERATION } from "../lib/governance";
import { hasRole, isPlatformAdmin } from "../lib/permissions";

function Flag({ on, yes, no }: { on: boolean | undefined; yes: string; no: string }) {
  return on ? <Badge tone="info" icon="check" label={yes} /> : <Badge tone="neutral" icon="dash" label={no} />;
}

export function Connectors() {
  const user = useUser();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const connectors = useQuery({ queryKey: ["connectors"], queryFn: api.connectors.list });
  const rows = connectors.data ?? [];
  return (
    <Page title="Connectors" subtitle="Execution planes Fleetgate publishes to: Intune, Jamf Pro, SCCM, Landscape, AWX.">
      <DataState
        query={connectors}
        label="connectors"
        isEmpty={rows.length === 0}
        empty="No connector is configured. A Platform Admin registers one per execution plane (`fleetgate up --demo` registers the simulators)."
      >
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Connectors</caption>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">Plane</th>
                <th scope="col">Base URL</th>
                <th scope="col">Enabled</th>
                <th scope="col">Mode</th>
                <th scope="col">Health</th>
                <th scope="col">Circuit breaker</th>
                <th scope="col">Last checked</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/connectors/${c.id}`}>{c.name}</Link>
                  </td>
                  <td>
                    {humanize(c.kind)} <span className="small muted">{c.api_version}</span>
                  </td>
                  <td>
                    <code>{c.base_url}</code>
                  </td>
                  <td>
                    <Flag on={c.enabled} yes="Enabled" no="Disabled" />
                  </td>
                  <td>
                    <Flag on={c.dry_run} yes="Dry run" no="Live" />
                  </td>
                  <td>
                    <LookBadge table={HEALTH} value={c.health} />
                  </td>
                  <td>
                    <LookBadge table={CIRCUIT} value={c.circuit.state} />
                  </td>
                  <td>{formatDateTime(c.last_checked_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </DataState>
      {isPlatformAdmin(user) ? (
        <ConnectorForm
          onSaved={(c) => {
            void queryClient.invalidateQueries({ queryKey: ["connectors"] });
            void navigate(`/connectors/${c.id}`, { state: { notice: `Connector ${c.name} added.` } });
          }}
        />
      ) : null}
    </Page>
  );
}

export function ConnectorDetail() {
  const { id = "" } = useParams();
  const user = useUser();
  const queryClient = useQueryClient();
  const connector = useQuery({ queryKey: ["connector", id], queryFn: () => api.connectors.get(id) });
  const check = useMutation({
    mutationFn: () => api.connectors.check(id),
    onSuccess: (r) => {
      queryClient.setQueryData(["connector", id], r.connector);
      void queryClient.invalidateQueries({ queryKey: ["connectors"] });
    },
  });
  const operations = useQuery({ queryKey: ["connector", id, "operations"], queryFn: () => api.connectors.operations(id) });
  const ops = operations.data ?? [];
  const c = connector.data;
  const r = check.data;
  const location = useLocation();
  const [notice, setNotice] = useState<string>((location.state as { notice?: string } | null)?.notice ?? "");
  const mayCheck = hasRole(user, "platform_admin", "endpoint_ops");
  return (
    <Page
      title={c ? `Connector ${c.name}` : "Connector"}
      subtitle={c ? <LookBadge table={HEALTH} value={c.health} /> : undefined}
      actions={
        c && mayCheck ? (
          <button type="button" className="btn btn-primary" onClick={() => check.mutate()} disabled={check.isPending}>
            {check.isPending ? "Checking…" : "Check connection"}
          </button>
        ) : null
      }
    >
      <p>
        <Link to="/connectors">← All connectors</Link>
      </p>
      {notice ? (
        <p className="alert alert-success" role="status">
          {notice}
        </p>
      ) : null}
      {check.error ? <ProblemAlert error={check.error} /> : null}
      {r ? (
        <section className={`alert ${r.ok ? "alert-success" : "alert-error"} check-result`} data-ok={String(r.ok)} aria-labelledby="check-h">
          <h2 id="check-h" className="alert-title">
            <OkBadge ok={r.ok} yes="Check passed" no="Check failed" /> {humanize(r.health)}
            {r.latency_ms !== null ? ` in ${Math.round(r.latency_ms)} ms` : ""} ({r.api_version})
          </h2>
          <p>{r.detail}</p>
          {r.steps.length ? (
            <ul className="steps check-list">
              {r.steps.map((s, i) => (
                <li key={`${s.step}-${i}`}>
                  <OkBadge ok={s.ok} /> <strong>{humanize(s.step)}</strong>{" "}
                  <code className="small">{typeof s.detail === "string" ? s.detail : JSON.stringify(s.detail)}</code>
                </li>
              ))}
            </ul>
          ) : null}
          {r.dry_run ? (
            <>
              <h3>Recorded requests (dry run: changes are recorded, never sent)</h3>
              {r.requests.length === 0 ? (
                <p>No request recorded.</p>
              ) : (
                <ol>
                  {r.requests.map((q, i) => (
                    <li key={i}>
                      <code>
                        {q.method} {q.url}
                      </code>{" "}
                      {q.sent ? "(sent: a read)" : "(not sent)"}
                      {Object.keys(q.headers).length ? (
                        <div className="small muted">
                          Headers: {Object.entries(q.headers).map(([k, v]) => `${k}: ${v}`).join("; ")}
                        </div>
                      ) : null}
                      {q.body ? <pre className="small">{q.body.slice(0, 2000)}</pre> : null}
                    </li>
                  ))}
                </ol>
              )}
            </>
          ) : null}
        </section>
      ) : null}
      <DataState query={connector} label="the connector">
        {c ? (
          <section className="card" aria-labelledby="conn-h">
            <h2 id="conn-h">Configuration</h2>
            <dl className="facts">
              <dt>Plane</dt>
              <dd>
                {humanize(c.kind)} ({c.api_version})
              </dd>
              <dt>Base URL</dt>
              <dd>
                <code>{c.base_url}</code>
              </dd>
              <dt>Enabled</dt>
              <dd>
                <Flag on={c.enabled} yes="Enabled" no="Disabled" />
              </dd>
              <dt>Mode</dt>
              <dd>
                <Flag on={c.dry_run} yes="Dry run (records requests, sends none)" no="Live" />
              </dd>
              <dt>Health</dt>
              <dd>
                <LookBadge table={HEALTH} value={c.health} /> {c.health_detail}
              </dd>
              <dt>Circuit breaker</dt>
              <dd>
                <LookBadge table={CIRCUIT} value={c.circuit.state} /> {c.circuit.consecutive_failures} consecutive failure(s)
              </dd>
              <dt>Secrets</dt>
              <dd>
                {Array.isArray(c.secret_names) && c.secret_names.length
                  ? `${(c.secret_names as string[]).join(", ")} (stored encrypted, never shown)`
                  : "none"}
              </dd>
              <dt>Last checked</dt>
              <dd>{formatDateTime(c.last_checked_at)}</dd>
              <dt>Revision</dt>
              <dd>{c.revision}</dd>
            </dl>
          </section>
        ) : null}
        <section aria-labelledby="ops-h">
          <h2 id="ops-h">Operations (idempotency records)</h2>
          <DataState query={operations} label="operations" isEmpty={ops.length === 0} empty="No mutating call recorded yet.">
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Operations</caption>
                <thead>
                  <tr>
                    <th scope="col">Operation</th>
                    <th scope="col">Key</th>
                    <th scope="col">Status</th>
                    <th scope="col">External id</th>
                    <th scope="col" className="num">
                      Attempts
                    </th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {ops.map((o) => (
                    <tr key={o.id}>
                      <td>{o.operation}</td>
                      <td>
                        <code>{o.key}</code>
                      </td>
                      <td>
                        <LookBadge table={OPERATION} value={o.status} />
                        {o.error ? <div className="small">{String(o.error)}</div> : null}
                      </td>
                      <td>{o.external_id || "—"}</td>
                      <td className="num">{o.attempts}</td>
                      <td>{formatDateTime(o.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </DataState>
        </section>
        {c && isPlatformAdmin(user) ? (
          <ConnectorForm
            key={c.etag}
            existing={c}
            onSaved={(saved) => {
              queryClient.setQueryData(["connector", id], saved);
              void queryClient.invalidateQueries({ queryKey: ["connectors"] });
              setNotice(`Saved revision ${saved.revision}.`);
            }}
          />
        ) : null}
      </DataState>
    </Page>
  );
}
