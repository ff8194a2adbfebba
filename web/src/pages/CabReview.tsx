import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, type CabDecision, type CabRequest } from "../api/client";
import { useUser } from "../auth/session";
import { AssistantPanel, cabAssistantActions } from "../components/AssistantPanel";
import { CabComments } from "../components/CabComments";
import { CabDecisionDialog, type DecisionKind } from "../components/CabDecisionDialog";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Badge, RiskBreakdown, SourceBadge } from "../components/Governance";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatNumber, humanize } from "../lib/format";
import { CAB_STATE, DECISION_KIND, approvalsCounted, lookOf } from "../lib/governance";
import { hasRole, isPlatformAdmin } from "../lib/permissions";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function conditionsText(value: unknown): string {
  const c = obj(value);
  const parts: string[] = [];
  if (c.max_ring) parts.push(`up to ${humanize(String(c.max_ring))}`);
  if (c.min_success_threshold !== undefined) parts.push(`success ≥ ${String(c.min_success_threshold)}`);
  if (c.min_soak_hours !== undefined) parts.push(`soak ≥ ${String(c.min_soak_hours)} h`);
  if (c.monitoring_window_hours !== undefined) parts.push(`monitor ${String(c.monitoring_window_hours)} h`);
  return parts.join(", ");
}

export function CabReview() {
  const { id = "" } = useParams();
  const user = useUser();
  const queryClient = useQueryClient();
  const review = useQuery({ queryKey: ["cab-review", id], queryFn: () => api.cab.review(id) });
  const [kind, setKind] = useState<DecisionKind | null>(null);
  const [notice, setNotice] = useState("");
  const [revoking, setRevoking] = useState<CabDecision | null>(null);
  const [revokeReason, setRevokeReason] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["cab-review", id] });
    void queryClient.invalidateQueries({ queryKey: ["cab-requests"] });
    void queryClient.invalidateQueries({ queryKey: ["dashboard"] });
  };
  const revoke = useMutation({
    mutationFn: (d: CabDecision) => api.cab.revoke(d.id, revokeReason),
    onSuccess: (d) => {
      setRevoking(null);
      setRevokeReason("");
      setNotice(`Revoked the decision by ${d.approver}.`);
      refresh();
    },
  });

  const data = review.data;
  const request = data?.request;
  const evidence = obj(data?.evidence);
  const scope = obj(data?.scope);
  const diff = obj(data?.diff);
  const rings = arr(scope.rings).map((r) => String(obj(r).ring));
  const canDecide = hasRole(user, "cab_approver") && request?.state === "open";
  const decided = (updated: CabRequest, k: DecisionKind) => {
    setKind(null);
    setNotice(
      `${k === "reject" ? "Rejected" : k === "conditional" ? "Approved with conditions" : "Approved"}. The request is now ${
        CAB_STATE[updated.state ?? ""]?.label ?? updated.state
      } (${approvalsCounted(updated.decisions)} of ${updated.quorum} approvals).`,
    );
    refresh();
  };

  return (
    <Page
      title={request ? `CAB review: ${request.application_name} ${request.version}` : "CAB review"}
      subtitle={request ? <LookBadge table={CAB_STATE} value={request.state} /> : undefined}
      actions={
        canDecide ? (
          <>
            <button type="button" className="btn btn-primary" onClick={() => setKind("approve")}>
              Approve…
            </button>
            <button type="button" className="btn" onClick={() => setKind("conditional")}>
              Approve with conditions…
            </button>
            <button type="button" className="btn btn-danger" onClick={() => setKind("reject")}>
              Reject…
            </button>
          </>
        ) : null
      }
    >
      <p>
        <Link to="/cab">← CAB queue</Link>
      </p>
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      <DataState query={review} label="the CAB review">
        {data && request ? (
          <>
            <div className="grid">
              <section className="card" aria-labelledby="req-h">
                <h2 id="req-h">Request</h2>
                <dl className="facts">
                  <dt>Intent</dt>
                  <dd>
                    <Link to={`/intents/${request.intent}`}>{request.intent_name}</Link> ({humanize(request.intent_state)})
                  </dd>
                  <dt>Opened</dt>
                  <dd>
                    <Time value={request.created_at} /> by {request.opened_by}
                  </dd>
                  <dt>Quorum</dt>
                  <dd data-testid="quorum">
                    <progress max={request.quorum ?? 1} value={approvalsCounted(request.decisions)} aria-label="Quorum progress" />{" "}
                    {approvalsCounted(request.decisions)} of {request.quorum} approvals ({humanize(request.blast_radius_class)})
                  </dd>
                  {request.closed_at ? (
                    <>
                      <dt>Closed</dt>
                      <dd>
                        <Time value={request.closed_at} /> {request.close_reason ? `— ${request.close_reason}` : ""}
                      </dd>
                    </>
                  ) : null}
                </dl>
                {data.submission ? (
                  <>
                    <h3>Submission v{data.submission.version}</h3>
                    {(data.submission as { drafted_with?: string | null }).drafted_with ? (
                      <p className="small muted" data-drafted-with>
                        Drafted with the assistant, then edited and submitted by {data.submission.created_by}.
                      </p>
                    ) : null}
                    <dl className="facts">
                      <dt>Summary</dt>
                      <dd>{data.submission.summary}</dd>
                      <dt>Justification</dt>
                      <dd>{data.submission.justification}</dd>
                      <dt>Impact</dt>
                      <dd>{data.submission.impact}</dd>
                      <dt>Tests</dt>
                      <dd>{data.submission.test_summary}</dd>
                      <dt>Back-out</dt>
                      <dd>{data.submission.backout_plan}</dd>
                    </dl>
                  </>
                ) : null}
              </section>
              <section className="card" aria-labelledby="scope-h">
                <h2 id="scope-h">Scope and blast radius</h2>
                <dl className="facts">
                  <dt>Boundary</dt>
                  <dd>{String(scope.boundary ?? "—")}</dd>
                  <dt>Business units</dt>
                  <dd>{arr(scope.business_units).map(String).join(", ") || "—"}</dd>
                  <dt>Site classes</dt>
                  <dd>{arr(scope.site_classes).map((s) => humanize(String(s))).join(", ") || "—"}</dd>
                  <dt>Target devices</dt>
                  <dd>{formatNumber(Number(scope.target_devices ?? 0))}</dd>
                  <dt>Rings</dt>
                  <dd>
                    {arr(scope.rings)
                      .map(obj)
                      .map((r) => `${humanize(String(r.ring))} ${formatNumber(Number(r.device_count ?? 0))}`)
                      .join(" → ")}
                  </dd>
                  <dt>Blast radius class</dt>
                  <dd>{humanize(String(scope.blast_radius_class ?? ""))}</dd>
                </dl>
              </section>
            </div>
            <AssistantPanel subject="this CAB request" actions={cabAssistantActions(request)} />
            <section aria-labelledby="ev-h">
              <h2 id="ev-h">Evidence summary</h2>
              <p>
                Pack v{String(evidence.version ?? "?")}{" "}
                {evidence.current ? (
                  <Badge tone="success" icon="check" label="Current" />
                ) : (
                  <Badge tone="danger" icon="cross" label="Superseded" />
                )}{" "}
                sealed <Time value={String(evidence.sealed_at ?? "")} />, <code className="digest">sha256:{String(evidence.sha256 ?? "")}</code>
              </p>
              <ul className="steps">
                {Object.entries(obj(evidence.sections)).map(([name, statuses]) => (
                  <li key={name} data-section={name}>
                    <strong>{humanize(name)}</strong>:{" "}
                    {arr(statuses).map((s, i) => (
                      <SourceBadge key={i} verified={s === "verified"} />
                    ))}
                  </li>
                ))}
              </ul>
              <p>
                Findings by severity:{" "}
                {Object.entries(obj(evidence.findings_by_severity))
                  .map(([k, v]) => `${k} ${String(v)}`)
                  .join(", ") || "none"}
                {arr(evidence.exceptions).length ? ` · ${arr(evidence.exceptions).length} exception(s) relied on` : ""}
              </p>
              <p>
                <Link to={`/intents/${request.intent}#evidence-h`}>Open the full evidence pack (verify, download)</Link>
              </p>
            </section>
            <section aria-labelledby="riskb-h">
              <h2 id="riskb-h">Risk breakdown</h2>
              <RiskBreakdown headingId="riskb-h" risk={data.risk} />
            </section>
            <section aria-labelledby="diff-h">
              <h2 id="diff-h">Changes since the previously approved version</h2>
              {diff.previous ? (
                <>
                  <p>
                    Compared with <Link to={`/intents/${String(obj(diff.previous).id)}`}>{String(obj(diff.previous).name)}</Link>{" "}
                    ({String(obj(diff.previous).version)}).
                  </p>
                  <Table
                    caption="Changes from the previous approved change"
                    toolbar={false}
                    rows={Object.entries(obj(diff.changes))}
                    rowKey={([k]) => k}
                    columns={[
                      { label: "Field", rowHeader: true, cell: ([k]) => humanize(k) },
                      { label: "Before", cell: ([, v]) => <code>{JSON.stringify(obj(v).from)}</code> },
                      { label: "After", cell: ([, v]) => <code>{JSON.stringify(obj(v).to)}</code> },
                    ]}
                  />
                </>
              ) : (
                <p className="empty">No previously approved change of this application: this is the first.</p>
              )}
            </section>
            <section aria-labelledby="dec-h">
              <h2 id="dec-h">Decisions so far</h2>
              {revoke.error ? <ProblemAlert error={revoke.error} /> : null}
              {request.decisions.length === 0 ? (
                <p className="empty">No decision yet.</p>
              ) : (
                <Table
                  caption="Decisions"
                  id="cab-decisions"
                  rows={request.decisions}
                  rowKey={(d) => d.id}
                  columns={[
                    { label: "Approver", cell: (d) => d.approver },
                    { label: "Decision", value: (d) => lookOf(DECISION_KIND, d.kind).label, cell: (d) => <LookBadge table={DECISION_KIND} value={d.kind} /> },
                    {
                      label: "Reason and conditions",
                      value: (d) => [d.reason, conditionsText(d.conditions)].filter(Boolean).join("; "),
                      cell: (d) => (
                        <>
                          {d.reason || "—"}
                          {conditionsText(d.conditions) ? <div className="small">Conditions: {conditionsText(d.conditions)}</div> : null}
                        </>
                      ),
                    },
                    { label: "When", value: (d) => d.created_at, cell: (d) => <Time value={d.created_at} /> },
                    { label: "Expires", value: (d) => d.expires_at ?? null, cell: (d) => <Time value={d.expires_at} /> },
                    {
                      label: "Status",
                      value: (d) => (d.revoked ? `Revoked by ${d.revoked_by}: ${d.revoke_reason}` : "In force"),
                      cell: (d) =>
                        d.revoked ? (
                          <>
                            <Badge tone="danger" icon="undo" label="Revoked" /> by {d.revoked_by}: {d.revoke_reason}
                          </>
                        ) : isPlatformAdmin(user) && d.kind !== "reject" ? (
                          <button type="button" className="btn" onClick={() => setRevoking(d)}>
                            Revoke decision by {d.approver}…
                          </button>
                        ) : (
                          <Badge tone="success" icon="check" label="In force" />
                        ),
                    },
                  ]}
                />
              )}
            </section>
            <CabComments requestId={request.id} requestState={request.state} />
            <CabDecisionDialog request={request} kind={kind} rings={rings} onClose={() => setKind(null)} onDecided={decided} />
            <ConfirmDialog
              open={revoking !== null}
              title="Revoke this approval?"
              confirmLabel="Revoke approval"
              danger
              busy={revoke.isPending}
              onClose={() => setRevoking(null)}
              onConfirm={() => revoking && revokeReason.trim() && revoke.mutate(revoking)}
            >
              <p>The approval by {revoking?.approver} stops counting toward quorum. This is recorded in the ledger.</p>
              <div className="field">
                <label htmlFor="revoke-reason">Reason (required)</label>
                <textarea id="revoke-reason" rows={3} required value={revokeReason} onChange={(e) => setRevokeReason(e.target.value)} />
              </div>
            </ConfirmDialog>
          </>
        ) : null}
      </DataState>
    </Page>
  );
}
