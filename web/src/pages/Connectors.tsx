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
import { humanize } from "../lib/format";
import { CIRCUIT, HEALTH, OPERATION, lookOf } from "../lib/governance";
import { hasRole, isPlatformAdmin } from "../lib/permissions";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

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
        <Table
          caption="Connectors"
          rows={rows}
          rowKey={(c) => String(c.id)}
          columns={[
            { label: "Connector", value: (c) => c.name, cell: (c) => <Link to={`/connectors/${c.id}`}>{c.name}</Link> },
            {
              label: "Plane",
              value: (c) => `${humanize(c.kind)} ${c.api_version ?? ""}`,
              cell: (c) => (
                <>
                  {humanize(c.kind)} <span className="small muted">{c.api_version}</span>
                </>
              ),
            },
            { label: "Base URL", value: (c) => c.base_url, cell: (c) => <code>{c.base_url}</code> },
            { label: "Enabled", value: (c) => (c.enabled ? "Enabled" : "Disabled"), cell: (c) => <Flag on={c.enabled} yes="Enabled" no="Disabled" /> },
            { label: "Mode", value: (c) => (c.dry_run ? "Dry run" : "Live"), cell: (c) => <Flag on={c.dry_run} yes="Dry run" no="Live" /> },
            { label: "Health", value: (c) => lookOf(HEALTH, c.health).label, cell: (c) => <LookBadge table={HEALTH} value={c.health} /> },
            { label: "Circuit breaker", value: (c) => lookOf(CIRCUIT, c.circuit.state).label, cell: (c) => <LookBadge table={CIRCUIT} value={c.circuit.state} /> },
            { label: "Last checked", value: (c) => c.last_checked_at ?? null, cell: (c) => <Time value={c.last_checked_at} /> },
          ]}
        />
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
              <dd><Time value={c.last_checked_at} /></dd>
              <dt>Revision</dt>
              <dd>{c.revision}</dd>
            </dl>
          </section>
        ) : null}
        <section aria-labelledby="ops-h">
          <h2 id="ops-h">Operations (idempotency records)</h2>
          <DataState query={operations} label="operations" isEmpty={ops.length === 0} empty="No mutating call recorded yet.">
            <Table
              caption="Operations"
              rows={ops}
              rowKey={(o) => String(o.id)}
              columns={[
                { label: "Operation", cell: (o) => o.operation },
                { label: "Key", value: (o) => o.key, cell: (o) => <code>{o.key}</code> },
                {
                  label: "Status",
                  value: (o) => lookOf(OPERATION, o.status).label,
                  cell: (o) => (
                    <>
                      <LookBadge table={OPERATION} value={o.status} />
                      {o.error ? <div className="small">{String(o.error)}</div> : null}
                    </>
                  ),
                },
                { label: "External id", cell: (o) => o.external_id || "—" },
                { label: "Attempts", className: "num", value: (o) => o.attempts, cell: (o) => o.attempts },
                { label: "Updated", value: (o) => o.updated_at, cell: (o) => <Time value={o.updated_at} /> },
              ]}
            />
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
