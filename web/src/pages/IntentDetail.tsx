import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { api, type Intent } from "../api/client";
import { useUser } from "../auth/session";
import { AssistantPanel, type DraftUse, intentAssistantActions } from "../components/AssistantPanel";
import { CabSubmissionForm, mayWriteSubmission } from "../components/CabSubmissionForm";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { ProblemAlert } from "../components/ProblemAlert";
import { IntentGovernance } from "../components/IntentGovernance";
import { RingTrack } from "../components/RingTrack";
import { RolloutView } from "../components/RolloutView";
import { StateBadge } from "../components/StateBadge";
import { formatNumber, humanize, stringList } from "../lib/format";
import { ringNames, ringPlanOf, rollbackPlanOf, stateInfo } from "../lib/intents";
import { canPublishTo } from "../lib/permissions";
import { Time } from "../components/Time";

type Dialog = "submit" | "cancel" | null;

export function IntentDetail() {
  const { id = "" } = useParams();
  const user = useUser();
  const queryClient = useQueryClient();
  const intent = useQuery({ queryKey: ["intent", id], queryFn: () => api.intents.get(id) });
  const history = useQuery({ queryKey: ["intent", id, "history"], queryFn: () => api.intents.history(id) });
  const policies = useQuery({ queryKey: ["ring-policies"], queryFn: api.ringPolicies.list, staleTime: 300_000 });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [draft, setDraft] = useState<DraftUse | null>(null);
  const [reason, setReason] = useState("");
  const location = useLocation();
  const [notice, setNotice] = useState<string | null>(
    (location.state as { notice?: string } | null)?.notice ?? null,
  );
  const alertRef = useRef<HTMLDivElement>(null);
  const noticeRef = useRef<HTMLParagraphElement>(null);

  const done = (updated: Intent, message: string) => {
    queryClient.setQueryData(["intent", id], updated);
    void queryClient.invalidateQueries({ queryKey: ["intent", id, "history"] });
    void queryClient.invalidateQueries({ queryKey: ["intents"] });
    void queryClient.invalidateQueries({ queryKey: ["dashboard"] });
    setDialog(null);
    setNotice(message);
  };
  const submit = useMutation({
    onMutate: () => setNotice(null),
    mutationFn: (i: Intent) => api.intents.submit(i.id, i.etag),
    onSuccess: (updated) => done(updated, `Submitted. The intent is now: ${stateInfo(updated.state).label}.`),
    onError: () => setDialog(null),
  });
  const cancel = useMutation({
    onMutate: () => setNotice(null),
    mutationFn: (i: Intent) => api.intents.cancel(i.id, i.etag, reason),
    onSuccess: (updated) => done(updated, "Cancelled. The intent no longer holds its rings."),
    onError: () => setDialog(null),
  });
  const failure = submit.error ?? cancel.error;
  useEffect(() => {
    if (failure) alertRef.current?.focus();
  }, [failure]);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);

  const i = intent.data;
  const actions = new Set(i?.allowed_actions ?? []);
  const mayAct = !!i && canPublishTo(user, i.target_boundary, i.target_business_unit);
  const mayWriteCab = !!i && mayWriteSubmission(user, i);
  const plan = i ? ringPlanOf(i) : [];
  const rollback = i ? rollbackPlanOf(i) : null;

  return (
    <Page
      title={i?.title ?? "Intent"}
      subtitle={i ? <StateBadge state={i.state ?? "draft"} /> : undefined}
      actions={
        i && mayAct ? (
          <>
            {actions.has("update") ? (
              <Link className="btn" to={`/intents/${i.id}/edit`}>
                Edit draft
              </Link>
            ) : null}
            {actions.has("submit") ? (
              <button type="button" className="btn btn-primary" onClick={() => setDialog("submit")}>
                Submit…
              </button>
            ) : null}
            {actions.has("cancel") ? (
              <button type="button" className="btn btn-danger" onClick={() => setDialog("cancel")}>
                Cancel intent…
              </button>
            ) : null}
          </>
        ) : null
      }
    >
      <p>
        <Link to="/intents">← All intents</Link>
      </p>
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {failure ? (
        <ProblemAlert
          ref={alertRef}
          error={failure}
          retryLabel="Dismiss and reload the intent"
          onRetry={() => {
            submit.reset();
            cancel.reset();
            void intent.refetch();
          }}
        />
      ) : null}
      <DataState query={intent} label="the intent">
        {i ? (
          <>
            <section aria-labelledby="rings-h">
              <h2 id="rings-h">Ring plan</h2>
              <RingTrack rings={ringNames(policies.data)} plan={plan} state={i.state ?? "draft"} />
            </section>
            <div className="grid">
              <section className="card" aria-labelledby="what-h">
                <h2 id="what-h">What</h2>
                <dl className="facts">
                  <dt>Name</dt>
                  <dd>
                    <code>{i.name}</code>
                  </dd>
                  <dt>Application</dt>
                  <dd>
                    <Link to={`/applications/${i.application}`}>{i.application_name}</Link> {i.version}
                  </dd>
                  <dt>Change reason</dt>
                  <dd>{i.change_reason || "—"}</dd>
                  <dt>Rollback</dt>
                  <dd>
                    {humanize(rollback?.strategy)}
                    {rollback?.rollback_version ? ` to ${rollback.rollback_version}` : ""}
                  </dd>
                  <dt>Publisher</dt>
                  <dd>{i.publisher}</dd>
                </dl>
              </section>
              <section className="card" aria-labelledby="scope-h">
                <h2 id="scope-h">Scope</h2>
                <dl className="facts">
                  <dt>Boundary</dt>
                  <dd>{i.target_boundary}</dd>
                  <dt>Business unit</dt>
                  <dd>{i.target_business_unit}</dd>
                  <dt>Site classes</dt>
                  <dd>{stringList(i.target_site_classes).map(humanize).join(", ") || "—"}</dd>
                  <dt>Target devices</dt>
                  <dd>{formatNumber(i.target_devices)}</dd>
                  <dt>Ring policy</dt>
                  <dd>v{i.ring_policy}</dd>
                  <dt>Revision</dt>
                  <dd>
                    {i.revision} <span className="small muted">(ETag {i.etag})</span>
                  </dd>
                  <dt>Created</dt>
                  <dd><Time value={i.created_at} /></dd>
                  <dt>Submitted</dt>
                  <dd><Time value={i.submitted_at} /></dd>
                </dl>
              </section>
            </div>
            <RolloutView intent={i} />
            <IntentGovernance intentId={i.id} />
            <AssistantPanel
              subject="this intent"
              actions={intentAssistantActions(i.id)}
              onUseDraft={mayWriteCab ? setDraft : undefined}
            />
            {mayWriteCab ? <CabSubmissionForm intentId={i.id} draft={draft} onDiscardDraft={() => setDraft(null)} /> : null}
            <section aria-labelledby="history-h">
              <h2 id="history-h">State history</h2>
              <DataState query={history} label="the history" isEmpty={(history.data ?? []).length === 0} empty="No event recorded yet.">
                <ol className="timeline">
                  {(history.data ?? []).map((e) => {
                    const before = (e.before as { state?: string } | null)?.state;
                    const after = (e.after as { state?: string } | null)?.state;
                    return (
                      <li key={e.sequence}>
                        <span className="timeline-time"><Time value={e.occurred_at} /></span>
                        <span>
                          <Link to={`/ledger/${e.sequence}`}>
                            <code>{e.action}</code>
                          </Link>{" "}
                          by {e.actor_name}
                          {before && after && before !== after ? (
                            <>
                              {" "}
                              · {humanize(before)} → {humanize(after)}
                            </>
                          ) : null}
                          {e.reason ? <> · “{e.reason}”</> : null}
                        </span>
                      </li>
                    );
                  })}
                </ol>
              </DataState>
            </section>
            <ConfirmDialog
              open={dialog === "submit"}
              title="Submit this intent?"
              confirmLabel="Submit intent"
              busy={submit.isPending}
              onClose={() => setDialog(null)}
              onConfirm={() => submit.mutate(i)}
            >
              <p>
                <strong>{i.title}</strong> will claim rings {plan.map((s) => humanize(s.ring)).join(", ")} for{" "}
                {i.application_name} and can no longer be edited. It goes to approval next.
              </p>
            </ConfirmDialog>
            <ConfirmDialog
              open={dialog === "cancel"}
              title="Cancel this intent?"
              confirmLabel="Cancel intent"
              cancelLabel="Keep intent"
              danger
              busy={cancel.isPending}
              onClose={() => setDialog(null)}
              onConfirm={() => cancel.mutate(i)}
            >
              <p>
                Cancelling <strong>{i.title}</strong> is final and is recorded in the ledger.
              </p>
              <div className="field">
                <label htmlFor="cancel-reason">Reason (recorded in the ledger)</label>
                <textarea id="cancel-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
              </div>
            </ConfirmDialog>
          </>
        ) : null}
      </DataState>
    </Page>
  );
}
