import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, type Drift as DriftRow, type DriftDecision } from "../api/client";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Table } from "../components/Table";
import { formatNumber, humanize } from "../lib/format";
import {
  DRIFT_KIND,
  DRIFT_KIND_HINT,
  DRIFT_ROUTE,
  DRIFT_STATUS,
  SEVERITY,
  actorName,
  compareStates,
} from "../lib/drift";
import { DONE_TEXT, DecisionButtons, Decisions } from "../components/DriftDecisions";
import { Time } from "../components/Time";

export function DriftDetail() {
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const drift = useQuery({ queryKey: ["drift", "one", id], queryFn: () => api.drift.get(id) });
  const [picked, setPicked] = useState<{ row: DriftRow; action: DriftDecision } | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const d = drift.data;
  const rows = d ? compareStates(d.expected, d.observed) : [];
  const acknowledged = d ? actorName(d.acknowledged_by) : "";
  const decided = d ? actorName(d.decided_by) : "";
  return (
    <Page title={d ? d.summary : "Drift"} subtitle={d ? <LookBadge table={DRIFT_STATUS} value={d.status} /> : undefined}>
      <p>
        <Link to="/drift">← All drift</Link>
      </p>
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      <Decisions
        picked={picked}
        onClose={() => setPicked(null)}
        onDone={(row, action) => {
          queryClient.setQueryData(["drift", "one", id], row);
          void queryClient.invalidateQueries({ queryKey: ["drift", "list"] });
          void queryClient.invalidateQueries({ queryKey: ["drift", "summary"] });
          setNotice(`${DONE_TEXT[action]}.`);
        }}
      />
      <DataState query={drift} label="the drift">
        {d ? (
          <>
            <div className="page-actions">
              <DecisionButtons row={d} onPick={(action) => setPicked({ row: d, action })} />
            </div>
            <div className="grid">
              <section className="card" aria-labelledby="drift-what-h">
                <h2 id="drift-what-h">What and where</h2>
                <dl className="facts">
                  <dt>Kind</dt>
                  <dd>
                    <LookBadge table={DRIFT_KIND} value={d.kind} /> <span className="small muted">{DRIFT_KIND_HINT[d.kind]}</span>
                  </dd>
                  <dt>Severity</dt>
                  <dd>
                    <LookBadge table={SEVERITY} value={d.severity} />
                  </dd>
                  <dt>Intent</dt>
                  <dd>
                    <Link to={`/intents/${d.intent}`}>{d.intent_name}</Link>
                  </dd>
                  <dt>Plane</dt>
                  <dd>
                    {d.plane} through <Link to={`/connectors/${d.connector}`}>{d.connector_name}</Link>
                  </dd>
                  <dt>Group</dt>
                  <dd>
                    <code>{d.group}</code>
                  </dd>
                  <dt>Ring</dt>
                  <dd>{d.ring ? humanize(d.ring) : "—"}</dd>
                  <dt>Device</dt>
                  <dd>
                    {d.device ? (
                      <>
                        {d.device_name || d.device} <span className="muted">({d.device})</span>
                      </>
                    ) : (
                      "The whole group (an assignment- or ring-level drift)"
                    )}
                  </dd>
                  <dt>Scope</dt>
                  <dd>
                    {d.boundary} / {d.business_unit}
                  </dd>
                </dl>
              </section>
              <section className="card" aria-labelledby="drift-handling-h">
                <h2 id="drift-handling-h">Handling</h2>
                <dl className="facts">
                  <dt>Route</dt>
                  <dd>
                    <LookBadge table={DRIFT_ROUTE} value={d.route} />
                  </dd>
                  <dt>First seen</dt>
                  <dd><Time value={d.first_seen} /></dd>
                  <dt>Last seen</dt>
                  <dd><Time value={d.last_seen} /></dd>
                  <dt>Remediation attempts</dt>
                  <dd>
                    {formatNumber(d.attempts)}
                    {d.last_attempt_at ? <> (last <Time value={d.last_attempt_at} />)</> : null}
                    {d.next_attempt_at ? <div className="small">Next attempt <Time value={d.next_attempt_at} /></div> : null}
                  </dd>
                  {d.hold_reason ? (
                    <>
                      <dt>Held because</dt>
                      <dd>{d.hold_reason}</dd>
                    </>
                  ) : null}
                  {d.acknowledged_at ? (
                    <>
                      <dt>Acknowledged</dt>
                      <dd>
                        <Time value={d.acknowledged_at} />
                        {acknowledged ? ` by ${acknowledged}` : ""}
                      </dd>
                    </>
                  ) : null}
                  {d.decision_reason || decided ? (
                    <>
                      <dt>Decision</dt>
                      <dd>
                        {d.decision_reason ? <>“{d.decision_reason}”</> : null}
                        {decided ? ` by ${decided}` : ""}
                      </dd>
                    </>
                  ) : null}
                  {d.accepted_until ? (
                    <>
                      <dt>Accepted until</dt>
                      <dd><Time value={d.accepted_until} /></dd>
                    </>
                  ) : null}
                  {d.resolved_at ? (
                    <>
                      <dt>Resolved</dt>
                      <dd><Time value={d.resolved_at} /></dd>
                    </>
                  ) : null}
                </dl>
              </section>
            </div>
            <section aria-labelledby="drift-diff-h">
              <h2 id="drift-diff-h">Expected and observed</h2>
              {rows.length === 0 ? (
                <p className="empty" role="status">
                  The pass recorded no field-level detail for this drift.
                </p>
              ) : (
                <Table
                  caption="Expected state against what the plane reports"
                  rows={rows}
                  rowKey={(r) => r.key}
                  rowData={(r) => ({ "data-field": r.key, "data-differs": String(r.differs) })}
                  columns={[
                    { label: "Field", rowHeader: true, cell: (r) => <code>{r.key}</code> },
                    { label: "Expected", cell: (r) => r.expected },
                    { label: "Observed", cell: (r) => r.observed },
                    {
                      label: "Differs",
                      cell: (r) => (r.differs ? <strong>Differs</strong> : <span className="muted">Same</span>),
                    },
                  ]}
                />
              )}
            </section>
          </>
        ) : null}
      </DataState>
    </Page>
  );
}
