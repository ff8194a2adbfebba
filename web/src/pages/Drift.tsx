import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link, useParams } from "react-router";
import { api, cursorOf, type Drift as DriftRow, type DriftDecision, type DriftQuery } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { Table } from "../components/Table";
import { formatDateTime, formatNumber, humanize } from "../lib/format";
import {
  DECISION_LABELS,
  DRIFT_KIND,
  DRIFT_KIND_HINT,
  DRIFT_KINDS,
  DRIFT_ROUTE,
  DRIFT_STATUS,
  DRIFT_STATUSES,
  MAX_ACCEPT_DAYS,
  PLANES,
  SEVERITY,
  acceptExpiry,
  actorName,
  addDays,
  compareStates,
  dateInput,
  driftActions,
  driftWhere,
  kindCounts,
} from "../lib/drift";
import { DEFAULT_RINGS } from "../lib/intents";
import { useUrlState } from "../lib/useUrlState";

const KEYS = ["kind", "status", "plane", "ring", "boundary", "business_unit", "intent"] as const;

/** The accept dialog: a reason and an expiry date at most 90 days away. */
function AcceptDialog({
  drift,
  busy,
  onClose,
  onConfirm,
}: {
  drift: DriftRow | null;
  busy: boolean;
  onClose: () => void;
  onConfirm: (reason: string, expiresAt: string) => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [expiry, setExpiry] = useState("");
  const [errors, setErrors] = useState<{ reason?: string; expiry?: string }>({});
  useEffect(() => {
    if (drift) {
      setReason("");
      setExpiry(dateInput(addDays(new Date(), 30)));
      setErrors({});
    }
  }, [drift]);
  const now = new Date();
  return (
    <ConfirmDialog
      open={drift !== null}
      title={drift ? `Accept this drift until a date?` : ""}
      confirmLabel="Accept drift"
      busy={busy}
      onClose={onClose}
      onConfirm={() => {
        const checked = acceptExpiry(expiry);
        const next = {
          reason: reason.trim() ? undefined : "Say why this drift is acceptable.",
          expiry: "error" in checked ? checked.error : undefined,
        };
        setErrors(next);
        if (next.reason || "error" in checked) return;
        onConfirm(reason.trim(), checked.iso);
      }}
    >
      {drift ? (
        <p>
          {drift.summary} ({driftWhere(drift)}). An accepted drift is left as it is until the expiry; then it reopens if a
          pass still sees it.
        </p>
      ) : null}
      <div className={`field${errors.reason ? " field-invalid" : ""}`}>
        <label htmlFor={`${id}-reason`}>Reason (recorded in the ledger), required</label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          aria-required
          aria-invalid={errors.reason ? true : undefined}
          aria-describedby={errors.reason ? `${id}-reason-error` : undefined}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        {errors.reason ? (
          <p className="field-error" id={`${id}-reason-error`}>
            <span aria-hidden="true">⚠ </span>
            {errors.reason}
          </p>
        ) : null}
      </div>
      <div className={`field${errors.expiry ? " field-invalid" : ""}`}>
        <label htmlFor={`${id}-expiry`}>Accepted until (at most {MAX_ACCEPT_DAYS} days), required</label>
        <input
          id={`${id}-expiry`}
          type="date"
          aria-required
          min={dateInput(addDays(now, 1))}
          max={dateInput(addDays(now, MAX_ACCEPT_DAYS))}
          aria-invalid={errors.expiry ? true : undefined}
          aria-describedby={errors.expiry ? `${id}-expiry-error` : undefined}
          value={expiry}
          onChange={(e) => setExpiry(e.target.value)}
        />
        {errors.expiry ? (
          <p className="field-error" id={`${id}-expiry-error`}>
            <span aria-hidden="true">⚠ </span>
            {errors.expiry}
          </p>
        ) : null}
      </div>
    </ConfirmDialog>
  );
}

/** Acknowledge / resolve / accept one drift, for the roles that decide it; the server decides. */
function useDriftDecision(onDone: (row: DriftRow, action: DriftDecision) => void) {
  return useMutation({
    mutationFn: ({ row, action, reason, expiresAt }: { row: DriftRow; action: DriftDecision; reason: string; expiresAt?: string }) =>
      action === "acknowledge"
        ? api.drift.acknowledge(row.id, row.etag, reason)
        : action === "resolve"
          ? api.drift.resolve(row.id, row.etag, reason)
          : api.drift.accept(row.id, row.etag, reason, expiresAt ?? ""),
    onSuccess: (row, { action }) => onDone(row, action),
  });
}

function DecisionButtons({ row, onPick }: { row: DriftRow; onPick: (action: DriftDecision) => void }) {
  const user = useUser();
  const actions = driftActions(user, row);
  if (actions.length === 0) return <span className="muted">—</span>;
  return (
    <span role="group" aria-label={`Decisions on ${row.summary}`} className="drift-actions">
      {actions.map((a) => (
        <button key={a} type="button" className="btn btn-small" onClick={() => onPick(a)}>
          {DECISION_LABELS[a]}
          <span className="sr-only"> {row.summary}</span>…
        </button>
      ))}
    </span>
  );
}

/** The decision dialogs and their outcome, shared by the list and the detail. */
function Decisions({
  picked,
  onClose,
  onDone,
}: {
  picked: { row: DriftRow; action: DriftDecision } | null;
  onClose: () => void;
  onDone: (row: DriftRow, action: DriftDecision) => void;
}) {
  const decide = useDriftDecision((row, action) => {
    onDone(row, action);
    onClose();
  });
  const alertRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (decide.error) alertRef.current?.focus();
  }, [decide.error]);
  const problem = decide.error instanceof ApiProblem ? decide.error : null;
  const row = picked?.row ?? null;
  return (
    <>
      {decide.error ? (
        <ProblemAlert
          ref={alertRef}
          error={decide.error}
          title={problem?.status === 400 ? "The decision is not valid" : undefined}
          retryLabel="Dismiss"
          onRetry={() => decide.reset()}
        />
      ) : null}
      <ReasonDialog
        open={picked?.action === "acknowledge" || picked?.action === "resolve"}
        title={picked?.action === "resolve" ? "Mark this drift resolved?" : "Acknowledge this drift?"}
        confirmLabel={picked ? DECISION_LABELS[picked.action] : "Confirm"}
        reasonLabel={picked?.action === "resolve" ? "How it was resolved (recorded in the ledger)" : "Note (recorded in the ledger)"}
        required={picked?.action === "resolve"}
        busy={decide.isPending}
        onClose={onClose}
        onConfirm={(reason) => {
          if (picked) {
            decide.reset();
            decide.mutate({ row: picked.row, action: picked.action, reason });
          }
        }}
      >
        {row ? (
          <p>
            {row.summary} ({driftWhere(row)}).{" "}
            {picked?.action === "resolve"
              ? "A resolved drift reopens if a later pass still sees it."
              : "Acknowledging records that you have seen it; the drift stays open."}
          </p>
        ) : null}
      </ReasonDialog>
      <AcceptDialog
        drift={picked?.action === "accept" ? row : null}
        busy={decide.isPending}
        onClose={onClose}
        onConfirm={(reason, expiresAt) => {
          if (picked) {
            decide.reset();
            decide.mutate({ row: picked.row, action: "accept", reason, expiresAt });
          }
        }}
      />
    </>
  );
}

const DONE_TEXT: Record<DriftDecision, string> = {
  acknowledge: "Acknowledged",
  resolve: "Marked resolved",
  accept: "Accepted",
};

export function Drift() {
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const filters = {
    status: (values.status || undefined) as DriftQuery["status"],
    plane: values.plane || undefined,
    ring: values.ring || undefined,
    boundary: values.boundary || undefined,
    business_unit: values.business_unit || undefined,
    intent: values.intent || undefined,
  };
  const query: DriftQuery = {
    ...filters,
    kind: (values.kind || undefined) as DriftQuery["kind"],
    cursor: cursor || undefined,
    page_size: 50,
  };
  const list = useQuery({ queryKey: ["drift", "list", query], queryFn: () => api.drift.list(query), placeholderData: keepPreviousData });
  // Counts per kind under every filter but the kind itself, so each count says what picking it shows.
  const summary = useQuery({ queryKey: ["drift", "summary", filters], queryFn: () => api.drift.summary(filters) });
  const [picked, setPicked] = useState<{ row: DriftRow; action: DriftDecision } | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const rows = list.data?.results ?? [];
  const select = (key: (typeof KEYS)[number], label: string, options: readonly string[], look?: Record<string, { label: string }>) => (
    <div className="field">
      <label htmlFor={`drift-${key}`}>{label}</label>
      <select id={`drift-${key}`} value={values[key]} onChange={(e) => setFilters({ ...values, [key]: e.target.value })}>
        <option value="">Any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {look?.[o]?.label ?? humanize(o)}
          </option>
        ))}
      </select>
    </div>
  );
  const text = (key: (typeof KEYS)[number], label: string) => (
    <div className="field">
      <label htmlFor={`drift-${key}`}>{label}</label>
      <input
        id={`drift-${key}`}
        defaultValue={values[key]}
        key={values[key]}
        onBlur={(e) => e.target.value !== values[key] && setFilters({ ...values, [key]: e.target.value.trim() })}
        onKeyDown={(e) => {
          if (e.key === "Enter") setFilters({ ...values, [key]: e.currentTarget.value.trim() });
        }}
      />
    </div>
  );
  return (
    <Page title="Drift" subtitle="Where the planes differ from what the intents declare, and what is being done about it.">
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      <section aria-labelledby="drift-counts-h">
        <h2 id="drift-counts-h">Drift per kind</h2>
        <DataState query={summary} label="the drift counts">
          <ul className="state-counts" aria-label="Drift per kind">
            {kindCounts(summary.data).map(({ kind, count }) => (
              <li key={kind} data-kind={kind}>
                <button
                  type="button"
                  className="linklike drift-count"
                  aria-pressed={values.kind === kind}
                  title={DRIFT_KIND_HINT[kind]}
                  onClick={() => setFilters({ ...values, kind: values.kind === kind ? "" : kind })}
                >
                  <span className="count">{formatNumber(count)}</span> <LookBadge table={DRIFT_KIND} value={kind} />
                  <span className="sr-only">{values.kind === kind ? " (shown; press to show every kind)" : " (press to show only these)"}</span>
                </button>
              </li>
            ))}
          </ul>
          <p className="small muted">
            {formatNumber(summary.data?.total)} in all under these filters
            {summary.data?.by_status
              ? ` (${DRIFT_STATUSES.filter((s) => summary.data?.by_status?.[s])
                  .map((s) => `${formatNumber(summary.data?.by_status?.[s])} ${DRIFT_STATUS[s]!.label.toLowerCase()}`)
                  .join(", ")})`
              : ""}
            .
          </p>
        </DataState>
      </section>
      <section aria-labelledby="drift-list-h">
        <h2 id="drift-list-h">Drift items</h2>
        <div className="filters row" role="search" aria-label="Filter drift">
          {select("kind", "Kind", DRIFT_KINDS, DRIFT_KIND)}
          {select("status", "Status", DRIFT_STATUSES, DRIFT_STATUS)}
          {select("plane", "Plane", PLANES)}
          {select("ring", "Ring", DEFAULT_RINGS)}
          {text("boundary", "Scope: boundary")}
          {text("business_unit", "Scope: business unit")}
        </div>
        {values.intent ? (
          <p>
            Showing the drift of one intent.{" "}
            <button type="button" className="linklike" onClick={() => setFilters({ ...values, intent: "" })}>
              Show every intent
            </button>
          </p>
        ) : null}
        <Decisions
          picked={picked}
          onClose={() => setPicked(null)}
          onDone={(row, action) => {
            setNotice(`${DONE_TEXT[action]}: ${row.summary}.`);
            void queryClient.invalidateQueries({ queryKey: ["drift"] });
          }}
        />
        <DataState query={list} label="drift" isEmpty={rows.length === 0 && !cursor} empty="No drift matches these filters.">
          <Table
            caption="Drift items"
            rows={rows}
            rowKey={(r) => r.id}
            rowData={(r) => ({ "data-drift": r.id, "data-kind": r.kind })}
            columns={[
              { label: "Kind", cell: (r) => <LookBadge table={DRIFT_KIND} value={r.kind} /> },
              {
                label: "Drift",
                rowHeader: true,
                cell: (r) => (
                  <>
                    <Link to={`/drift/${r.id}`}>{r.summary}</Link>
                    <div className="small muted">{r.intent_name}</div>
                  </>
                ),
              },
              {
                label: "Where",
                cell: (r) => (
                  <>
                    {r.plane} / <code>{r.group}</code>
                    {r.ring ? <div className="small">Ring {humanize(r.ring)}</div> : null}
                    <div className="small">{r.device ? `Device ${r.device_name || r.device}` : "Whole group"}</div>
                  </>
                ),
              },
              { label: "Severity", cell: (r) => <LookBadge table={SEVERITY} value={r.severity} /> },
              {
                label: "Status",
                cell: (r) => (
                  <>
                    <LookBadge table={DRIFT_STATUS} value={r.status} />
                    <div className="small muted">{DRIFT_ROUTE[r.route]?.label ?? humanize(r.route)}</div>
                  </>
                ),
              },
              { label: "Last seen", cell: (r) => formatDateTime(r.last_seen) },
              { label: "Actions", cell: (r) => <DecisionButtons row={r} onPick={(action) => setPicked({ row: r, action })} /> },
            ]}
          />
          <Pager
            label="Drift"
            count={rows.length}
            busy={list.isFetching}
            hasPrevious={!!list.data?.previous}
            hasNext={!!list.data?.next}
            onPrevious={() => setCursor(cursorOf(list.data?.previous))}
            onNext={() => setCursor(cursorOf(list.data?.next))}
          />
        </DataState>
      </section>
    </Page>
  );
}

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
                  <dd>{formatDateTime(d.first_seen)}</dd>
                  <dt>Last seen</dt>
                  <dd>{formatDateTime(d.last_seen)}</dd>
                  <dt>Remediation attempts</dt>
                  <dd>
                    {formatNumber(d.attempts)}
                    {d.last_attempt_at ? <> (last {formatDateTime(d.last_attempt_at)})</> : null}
                    {d.next_attempt_at ? <div className="small">Next attempt {formatDateTime(d.next_attempt_at)}</div> : null}
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
                        {formatDateTime(d.acknowledged_at)}
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
                      <dd>{formatDateTime(d.accepted_until)}</dd>
                    </>
                  ) : null}
                  {d.resolved_at ? (
                    <>
                      <dt>Resolved</dt>
                      <dd>{formatDateTime(d.resolved_at)}</dd>
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
