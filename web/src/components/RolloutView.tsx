import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, type Intent, type Job, type RingRun, type Rollout } from "../api/client";
import { useUser } from "../auth/session";
import { formatNumber, humanize } from "../lib/format";
import {
  ACTION_LABELS,
  type ControlAction,
  countsOf,
  demoClockText,
  errorGroups,
  isTerminal,
  pollInterval,
  REASON_REQUIRED,
  RING_STATE,
  ROLLOUT_STATUS,
  rolloutControls,
  sumCounts,
  type Counts,
} from "../lib/rollouts";
import { AssistantPanel, rolloutAssistantActions } from "./AssistantPanel";
import { ConfirmDialog } from "./ConfirmDialog";
import { DataState } from "./DataState";
import { FreezeBanner } from "./FreezeBanner";
import { JobOutcome } from "./JobOutcome";
import { GateChecklist } from "./GateChecklist";
import { LookBadge } from "./LookBadge";
import { ProblemAlert } from "./ProblemAlert";
import { ReasonDialog } from "./ReasonDialog";
import { RolloutDrift } from "./RolloutDrift";
import { RolloutTimeline } from "./RolloutTimeline";
import { Time } from "./Time";
import { Table } from "./Table";

export function DemoClock({ scale }: { scale: number | null | undefined }) {
  const text = demoClockText(scale);
  return text ? (
    <p className="alert alert-info demo-clock" data-demo-clock>
      <strong>{text}</strong> (demonstration time runs faster than real time; production never scales time)
    </p>
  ) : null;
}

function CountsLine({ c }: { c: Counts }) {
  return (
    <span className="counts">
      {formatNumber(c.installed)} installed · {formatNumber(c.failed)} failed · {formatNumber(c.pending)} pending ·{" "}
      {formatNumber(c.notReported)} not reported
      {c.notApplicable ? <> · {formatNumber(c.notApplicable)} not applicable</> : null} (of {formatNumber(c.total)})
    </span>
  );
}

/** A stacked bar of a ring's devices; the numbers are also in text next to it. */
function ProgressBar({ c, label }: { c: Counts; label: string }) {
  const total = c.total || 1;
  const part = (n: number) => `${(n / total) * 100}%`;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={c.total}
      aria-valuenow={c.installed}
      aria-valuetext={`${c.installed} of ${c.total} installed, ${c.failed} failed`}
    >
      <span className="progress-installed" style={{ width: part(c.installed) }} />
      <span className="progress-failed" style={{ width: part(c.failed) }} />
      <span className="progress-pending" style={{ width: part(c.pending) }} />
    </div>
  );
}

function RingCard({ run, current }: { run: RingRun; current: boolean }) {
  const perPlane = run.targets.map((t) => ({ t, c: countsOf(t) }));
  const total = sumCounts(perPlane.map((p) => p.c));
  const groups = errorGroups(run);
  const name = humanize(run.ring);
  return (
    <li className={`card ring-run${current ? " ring-current" : ""}`} data-ring={run.ring} aria-current={current ? "step" : undefined}>
      <h3>
        {name} {current ? <span className="small muted">(current ring)</span> : null}
      </h3>
      <LookBadge table={RING_STATE} value={run.state} />
      {run.targets.length > 0 ? (
        <>
          <ProgressBar c={total} label={`${name} progress`} />
          <p className="small">
            <CountsLine c={total} />
          </p>
          <Table
            caption={`${name} per plane`}
            toolbar={false}
            rows={perPlane}
            rowKey={({ t }) => `${t.connector}-${t.platform}`}
            columns={[
              {
                label: "Plane",
                value: ({ t }) => t.connector,
                cell: ({ t }) => (
                  <>
                    {t.connector} <span className="muted">({t.kind}, {t.platform})</span>
                  </>
                ),
              },
              { label: "Group", value: ({ t }) => t.group, cell: ({ t }) => <code>{t.group}</code> },
              {
                label: "Devices",
                cell: ({ t, c }) => (
                  <>
                    <CountsLine c={c} />
                    {t.count_warning ? (
                      <div className="small warning-text" role="note">
                        ⚠ Count differs: {t.count_warning}
                      </div>
                    ) : null}
                  </>
                ),
              },
            ]}
          />
        </>
      ) : (
        <p className="small muted">Not assigned yet.</p>
      )}
      <p className="small muted">
        {run.assigned_at ? <>Assigned <Time value={run.assigned_at} />. </> : null}
        {run.decided_at ? <>Decided <Time value={run.decided_at} />.</> : null}
      </p>
      {run.gates.length > 0 || run.state !== "pending" ? (
        <details open={current}>
          <summary>Gates of {name}</summary>
          <GateChecklist gates={run.gates} ring={run.ring} />
        </details>
      ) : null}
      {groups.length > 0 ? (
        <details>
          <summary>
            Failures by error code ({groups.reduce((n, g) => n + g.count, 0)} devices)
          </summary>
          <ul className="error-groups">
            {groups.map((g) => (
              <li key={g.code}>
                <code>{g.code}</code>: {g.count} {g.count === 1 ? "device" : "devices"} ({g.planes.join(", ")})
                {g.devices.length > 0 ? (
                  <ul className="small">
                    {g.devices.map((d) => (
                      <li key={d.id}>
                        {d.name} <span className="muted">({d.id})</span>
                      </li>
                    ))}
                    {g.devices.length < g.count ? (
                      <li className="muted">and {g.count - g.devices.length} more</li>
                    ) : null}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
    </li>
  );
}

function PlanTimeline({ intentId }: { intentId: string }) {
  const plan = useQuery({
    queryKey: ["intent", intentId, "plan"],
    queryFn: () => api.rollouts.plan(intentId),
    staleTime: 30_000,
  });
  const p = plan.data;
  return (
    <DataState query={plan} label="the rollout plan">
      {p ? (
        <>
          <DemoClock scale={p.demo_time_scale} />
          {p.warnings.length > 0 ? (
            <div className="alert alert-warning" role="note">
              <p>
                <strong>Before start:</strong>
              </p>
              <ul>
                {p.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          ) : null}
          <Table
            caption="Expected timeline, ring by ring (a dry plan; no plane is touched)"
            captionVisible
            toolbar={false}
            rows={p.rings}
            rowKey={(r) => r.ring}
            rowData={(r) => ({ "data-ring": r.ring })}
            columns={[
              { label: "Ring", rowHeader: true, cell: (r) => humanize(r.ring) },
              {
                label: "Devices",
                value: (r) => r.planned_devices,
                cell: (r) => (
                  <>
                    {formatNumber(r.planned_devices)}
                    <div className="small muted">
                      {Object.entries(r.groups)
                        .map(([plane, group]) => `${plane}: ${group}`)
                        .join("; ")}
                    </div>
                  </>
                ),
              },
              {
                label: "Earliest start",
                cell: (r) => (r.earliest_start ? <Time value={r.earliest_start} /> : "Not before the blockers clear"),
              },
              { label: "Earliest promotion", cell: (r) => (r.earliest_promotion ? <Time value={r.earliest_promotion} /> : "—") },
              { label: "Soak / time to compliance", cell: (r) => `${r.min_soak_hours} h / ${r.ttc_hours} h` },
              { label: "Blockers", cell: (r) => (r.blockers.length ? r.blockers.join("; ") : "None") },
            ]}
          />
        </>
      ) : null}
    </DataState>
  );
}

/** The rollout of an intent: plan before start, then rings, planes, gates, failures and controls. */
export function RolloutView({ intent }: { intent: Intent }) {
  const user = useUser();
  const queryClient = useQueryClient();
  const brief = useQuery({
    queryKey: ["intent", intent.id, "rollout"],
    queryFn: () => api.rollouts.ofIntent(intent.id),
    refetchInterval: (q) => (q.state.data === null && intent.state !== "approved" ? false : pollInterval(q.state.data?.status)),
  });
  const rolloutId = brief.data?.id;
  const detail = useQuery({
    queryKey: ["rollout", rolloutId],
    queryFn: () => api.rollouts.get(rolloutId!),
    enabled: !!rolloutId,
    refetchInterval: (q) => pollInterval((q.state.data as Rollout | undefined)?.status),
  });
  const [dialog, setDialog] = useState<ControlAction | null>(null);
  const [job, setJob] = useState<{ job: Job; label: string } | null>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ["intent", intent.id] });
    void queryClient.invalidateQueries({ queryKey: ["rollout"] });
    void queryClient.invalidateQueries({ queryKey: ["rollouts"] });
  };

  const act = useMutation({
    onMutate: () => setJob(null),
    mutationFn: ({ action, text }: { action: ControlAction; text: string }) =>
      action === "start" ? api.rollouts.start(intent.id, intent.etag) : api.rollouts.act(rolloutId!, action, text),
    onSuccess: (res, { action }) => {
      setDialog(null);
      if (res?.job) setJob({ job: res.job, label: `${ACTION_LABELS[action]} accepted` });
      refresh();
    },
    onError: () => setDialog(null),
  });
  useEffect(() => {
    if (act.error) alertRef.current?.focus();
  }, [act.error]);

  const rollout = detail.data ?? null;
  const controls = brief.isSuccess ? rolloutControls(user, intent, brief.data ?? null) : [];
  const needsReason = dialog ? REASON_REQUIRED.includes(dialog) : false;
  const live = !!rollout && !isTerminal(rollout.status);

  return (
    <section aria-labelledby="rollout-h" className="rollout-view">
      <h2 id="rollout-h">Rollout</h2>
      <FreezeBanner />
      {job ? <JobOutcome key={job.job.id} job={job.job} label={job.label} onFinished={refresh} /> : null}
      {act.error ? (
        <ProblemAlert ref={alertRef} error={act.error} retryLabel="Dismiss" onRetry={() => act.reset()} />
      ) : null}
      {controls.length > 0 ? (
        <div className="rollout-controls" role="group" aria-label="Rollout controls">
          {controls.map((a) => (
            <button
              key={a}
              type="button"
              className={`btn ${a === "halt" || a === "rollback" ? "btn-danger" : a === "start" || a === "promote" ? "btn-primary" : ""}`}
              onClick={() => {
                act.reset();
                setDialog(a);
              }}
            >
              {ACTION_LABELS[a]}…
            </button>
          ))}
        </div>
      ) : null}
      <DataState query={brief} label="the rollout">
        {brief.data === null ? (
          ["approved", "submitted", "awaiting_cab"].includes(intent.state ?? "") ? (
            <>
              <p>
                This intent has not started yet.{" "}
                {intent.state === "approved" ? "It starts at its earliest start once approved, or when a Publisher starts it." : "It needs approval first."}
              </p>
              <PlanTimeline intentId={intent.id} />
            </>
          ) : (
            <p className="muted">No rollout for this intent.</p>
          )
        ) : (
          <DataState query={detail} label="the rollout detail">
            {rollout ? (
              <>
                <DemoClock scale={rollout.demo_time_scale} />
                <p>
                  <LookBadge table={ROLLOUT_STATUS} value={rollout.status} />{" "}
                  {rollout.current_ring ? <>Current ring: {humanize(rollout.current_ring)}. </> : null}
                  {rollout.status_detail}
                </p>
                <p className="small muted">
                  Started <Time value={rollout.started_at} />
                  {rollout.finished_at ? <>, finished <Time value={rollout.finished_at} /></> : null}
                  {detail.isFetching ? " · updating…" : ""}
                </p>
                <ol className="ring-runs" aria-label="Rings, from Lab to Global">
                  {[...rollout.rings]
                    .sort((a, b) => a.position - b.position)
                    .map((r) => (
                      <RingCard key={r.ring} run={r} current={r.ring === rollout.current_ring} />
                    ))}
                </ol>
                <AssistantPanel subject="this rollout" actions={rolloutAssistantActions(intent.id)} />
                <RolloutDrift intentId={intent.id} live={live} />
                <RolloutTimeline intentId={intent.id} live={live} />
              </>
            ) : null}
          </DataState>
        )}
      </DataState>
      <ConfirmDialog
        open={dialog === "start"}
        title={`${ACTION_LABELS.start}: ${intent.title}?`}
        confirmLabel={ACTION_LABELS.start}
        busy={act.isPending}
        onClose={() => setDialog(null)}
        onConfirm={() => act.mutate({ action: "start", text: "" })}
      >
        <p>{describeAction("start", rollout)}</p>
      </ConfirmDialog>
      <ReasonDialog
        open={dialog !== null && dialog !== "start"}
        title={dialog ? `${ACTION_LABELS[dialog]}: ${intent.title}?` : ""}
        confirmLabel={dialog ? ACTION_LABELS[dialog] : "Confirm"}
        required={needsReason}
        danger={dialog === "halt" || dialog === "rollback"}
        busy={act.isPending}
        onClose={() => setDialog(null)}
        onConfirm={(text) => {
          if (dialog) act.mutate({ action: dialog, text });
        }}
      >
        <p>{dialog ? describeAction(dialog, rollout) : null}</p>
      </ReasonDialog>
    </section>
  );
}

function describeAction(action: ControlAction, rollout: Rollout | null): string {
  const ring = rollout?.current_ring ? humanize(rollout.current_ring) : "the current ring";
  switch (action) {
    case "start":
      return "The rollout begins with its first ring. Every step is recorded in the ledger.";
    case "pause":
      return `No further ring is assigned while paused; devices in ${ring} keep what they have.`;
    case "resume":
      return `The engine observes ${ring} again and its gates decide anew.`;
    case "halt":
      return `The rollout stops at ${ring}. Nothing is undone until you roll back.`;
    case "rollback":
      return "Every ring reached is rolled back in reverse order, through each plane's own mechanism.";
    case "promote":
      return `${ring} is awaiting judgment: its gates are inconclusive. Promoting records your judgment and reason; you may not judge a change you packaged, published or submitted.`;
  }
}
