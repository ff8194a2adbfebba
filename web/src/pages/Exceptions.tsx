import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { api, cursorOf, type ExceptionQuery, type ExceptionWrite, type PolicyException } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { DataState } from "../components/DataState";
import { Field } from "../components/Field";
import { Badge } from "../components/Governance";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatDateTime, humanize } from "../lib/format";
import { BREAK_GLASS_STATE, EXCEPTION_STATE, daysUntil, expiringSoon } from "../lib/governance";
import { hasRole } from "../lib/permissions";
import { useUrlState } from "../lib/useUrlState";

const KINDS = ["vulnerability", "unsigned_package", "scope", "gate_override"] as const;
const KEYS = ["state", "kind"] as const;
/** Scope and gate-override exceptions also need CAB quorum; the server counts each capacity. */
const CAB_KINDS = new Set<string>(["scope", "gate_override"]);
type Action = { kind: "approve" | "reject" | "extend"; row: PolicyException } | null;

function Expiry({ row }: { row: PolicyException }) {
  const days = daysUntil(row.expires_at);
  if (expiringSoon(row.state, row.expires_at)) {
    return (
      <>
        {formatDateTime(row.expires_at)}{" "}
        <Badge tone="warning" icon="alert" label={`Expires soon: in ${days} day${days === 1 ? "" : "s"}`} data="expiring-soon" />
      </>
    );
  }
  return (
    <>
      {formatDateTime(row.expires_at)}
      {days !== null && days >= 0 ? <span className="small muted"> (in {days} days)</span> : null}
    </>
  );
}

function RequestForm({ onDone }: { onDone: (row: PolicyException) => void }) {
  const empty = {
    kind: "vulnerability",
    application: "",
    artifact: "",
    subject: "",
    justification: "",
    compensating_controls: "",
    owner: "",
    expires_in_days: "30",
  };
  const [form, setForm] = useState(empty);
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const versions = useQuery({
    queryKey: ["versions", { application: form.application }],
    queryFn: () => api.versions.list({ application: form.application, page_size: 200 }),
    enabled: !!form.application,
  });
  const artifacts = (versions.data?.results ?? []).flatMap((v) => v.artifacts.map((a) => ({ ...a, label: `${v.version} · ${a.filename}` })));
  const create = useMutation({
    mutationFn: () => {
      const body: ExceptionWrite = {
        kind: form.kind,
        artifact: form.artifact || null,
        subject: form.subject,
        justification: form.justification,
        compensating_controls: form.compensating_controls,
        owner: form.owner,
        expires_in_days: Number(form.expires_in_days),
      };
      return api.exceptions.create(body);
    },
    onSuccess: (row) => {
      setForm(empty);
      onDone(row);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const placed = new Set(["kind", "artifact", "intent", "subject", "justification", "compensating_controls", "owner", "expires_in_days"]);
  const set = (k: keyof typeof empty) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <form
      className="form card"
      aria-labelledby="req-exc-h"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
      noValidate
    >
      <h2 id="req-exc-h">Request an exception</h2>
      {create.error ? (
        <ProblemAlert error={create.error} title={problem?.status === 400 ? "The request is not valid; see the marked fields" : undefined} />
      ) : null}
      {problem
        ? [...errs.entries()]
            .filter(([p]) => !placed.has(p))
            .map(([p, m]) => (
              <p key={p} className="field-error">
                {p}: {m.join(" ")}
              </p>
            ))
        : null}
      <div className="row">
        <Field path="kind" label="Type" errors={errs.get("kind")}>
          {(p) => (
            <select {...p} value={form.kind} onChange={set("kind")}>
              {KINDS.map((k) => (
                <option key={k} value={k}>
                  {humanize(k)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="application" label="Application">
          {(p) => (
            <select {...p} value={form.application} onChange={(e) => setForm({ ...form, application: e.target.value, artifact: "" })}>
              <option value="">Choose…</option>
              {(apps.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="artifact" label="Artifact" errors={errs.get("artifact")}>
          {(p) => (
            <select {...p} value={form.artifact} onChange={set("artifact")} disabled={!form.application}>
              <option value="">{form.application ? "Choose…" : "Choose an application first"}</option>
              {artifacts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="subject" label="Subject (finding id, gate or scope)" errors={errs.get("subject")}>
          {(p) => <input {...p} value={form.subject} onChange={set("subject")} />}
        </Field>
      </div>
      <Field path="justification" label="Justification" errors={errs.get("justification")}>
        {(p) => <textarea {...p} rows={3} value={form.justification} onChange={set("justification")} />}
      </Field>
      <Field path="compensating_controls" label="Compensating controls" errors={errs.get("compensating_controls")}>
        {(p) => <textarea {...p} rows={3} value={form.compensating_controls} onChange={set("compensating_controls")} />}
      </Field>
      <div className="row">
        <Field path="owner" label="Owner (username)" errors={errs.get("owner")}>
          {(p) => <input {...p} value={form.owner} onChange={set("owner")} />}
        </Field>
        <Field path="expires_in_days" label="Expires in (days, at most 90)" errors={errs.get("expires_in_days")}>
          {(p) => <input {...p} type="number" min={1} max={90} value={form.expires_in_days} onChange={set("expires_in_days")} />}
        </Field>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Requesting…" : "Request exception"}
        </button>
      </div>
    </form>
  );
}

function BreakGlassPanel() {
  const user = useUser();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ["break-glass"], queryFn: api.breakGlass.list });
  const [notes, setNotes] = useState<Record<string, string>>({});
  const act = useMutation({
    mutationFn: ({ id, kind }: { id: string; kind: "confirm" | "review" }) =>
      kind === "confirm" ? api.breakGlass.confirm(id) : api.breakGlass.review(id, notes[id] ?? ""),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["break-glass"] }),
  });
  const rows = list.data?.results ?? [];
  const mayConfirm = hasRole(user, "security_reviewer", "cab_approver");
  const mayReview = hasRole(user, "cab_approver");
  const mayRequest = hasRole(user, "publisher", "security_reviewer", "endpoint_ops");
  const eligible = useQuery({
    queryKey: ["intents", { state: ["awaiting_cab", "approved", "in_progress", "paused"] }],
    queryFn: () => api.intents.list({ state: ["awaiting_cab", "approved", "in_progress", "paused"], page_size: 200 }),
    enabled: mayRequest,
  });
  const [bg, setBg] = useState({ intent: "", priority: "P1", reason: "", duration_hours: "4" });
  const request = useMutation({
    mutationFn: () =>
      api.breakGlass.create({
        intent: bg.intent,
        priority: bg.priority as "P0" | "P1",
        reason: bg.reason,
        duration_hours: Number(bg.duration_hours),
      }),
    onSuccess: () => {
      setBg({ intent: "", priority: "P1", reason: "", duration_hours: "4" });
      void queryClient.invalidateQueries({ queryKey: ["break-glass"] });
    },
  });
  const bgProblem = request.error instanceof ApiProblem && request.error.status === 400 ? request.error : null;
  const bgErrs = bgProblem ? bgProblem.fieldErrors() : new Map<string, string[]>();
  return (
    <section aria-labelledby="bg-h">
      <h2 id="bg-h">Break-glass uses</h2>
      <p className="small muted">
        An emergency path for P0/P1 security fixes: a second person confirms, it lasts at most 4 hours and skips soak
        time only; a CAB member reviews every use within 24 hours.
      </p>
      {act.error ? <ProblemAlert error={act.error} /> : null}
      {mayRequest ? (
        <form
          className="form card"
          aria-labelledby="bg-req-h"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            request.mutate();
          }}
        >
          <h3 id="bg-req-h">Request break-glass</h3>
          {request.error ? (
            <ProblemAlert error={request.error} title={bgProblem ? "The request is not valid; see the marked fields" : undefined} />
          ) : null}
          <div className="row">
            <Field path="bg.intent" label="Intent" errors={bgErrs.get("intent")}>
              {(p) => (
                <select {...p} value={bg.intent} onChange={(e) => setBg({ ...bg, intent: e.target.value })}>
                  <option value="">Choose…</option>
                  {(eligible.data?.results ?? []).map((i) => (
                    <option key={i.id} value={i.id}>
                      {i.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field path="bg.priority" label="Priority" errors={bgErrs.get("priority")}>
              {(p) => (
                <select {...p} value={bg.priority} onChange={(e) => setBg({ ...bg, priority: e.target.value })}>
                  <option value="P0">P0</option>
                  <option value="P1">P1</option>
                </select>
              )}
            </Field>
            <Field path="bg.duration_hours" label="Duration (hours, at most 4)" errors={bgErrs.get("duration_hours")}>
              {(p) => (
                <input {...p} type="number" min={1} max={4} value={bg.duration_hours} onChange={(e) => setBg({ ...bg, duration_hours: e.target.value })} />
              )}
            </Field>
          </div>
          <Field path="bg.reason" label="Emergency (incident and fix)" errors={bgErrs.get("reason")}>
            {(p) => <textarea {...p} rows={2} value={bg.reason} onChange={(e) => setBg({ ...bg, reason: e.target.value })} />}
          </Field>
          <div className="form-actions">
            <button type="submit" className="btn btn-danger" disabled={request.isPending}>
              Request break-glass
            </button>
          </div>
        </form>
      ) : null}
      <DataState query={list} label="break-glass uses" isEmpty={rows.length === 0} empty="No break-glass use on record.">
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Break-glass uses</caption>
            <thead>
              <tr>
                <th scope="col">Intent</th>
                <th scope="col">Priority</th>
                <th scope="col">State</th>
                <th scope="col">People</th>
                <th scope="col">Reason</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((b) => (
                <tr key={b.id}>
                  <td>{b.intent_name}</td>
                  <td>{b.priority}</td>
                  <td>
                    <LookBadge table={BREAK_GLASS_STATE} value={b.state} />
                    {b.state === "active" ? <div className="small">Review due {formatDateTime(b.review_due_at)}</div> : null}
                  </td>
                  <td>
                    Requested by {b.requested_by}
                    {b.confirmed_by ? `, confirmed by ${b.confirmed_by}` : ""}
                    {b.reviewed_by ? `, reviewed by ${b.reviewed_by}` : ""}
                  </td>
                  <td>{b.reason}</td>
                  <td>
                    {b.state === "pending" && mayConfirm ? (
                      <button type="button" className="btn" onClick={() => act.mutate({ id: b.id, kind: "confirm" })}>
                        Confirm as second person
                      </button>
                    ) : b.state === "active" && mayReview ? (
                      <span>
                        <label htmlFor={`bg-notes-${b.id}`}>Review notes</label>
                        <input
                          id={`bg-notes-${b.id}`}
                          value={notes[b.id] ?? ""}
                          onChange={(e) => setNotes({ ...notes, [b.id]: e.target.value })}
                        />
                        <button type="button" className="btn" onClick={() => act.mutate({ id: b.id, kind: "review" })}>
                          Record review
                        </button>
                      </span>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </DataState>
    </section>
  );
}

export function Exceptions() {
  const user = useUser();
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: ExceptionQuery = {
    state: (values.state || undefined) as ExceptionQuery["state"],
    kind: (values.kind || undefined) as ExceptionQuery["kind"],
    cursor: cursor || undefined,
    page_size: 50,
  };
  const list = useQuery({
    queryKey: ["exceptions", query],
    queryFn: () => api.exceptions.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = list.data?.results ?? [];
  const [action, setAction] = useState<Action>(null);
  const [reason, setReason] = useState("");
  const [days, setDays] = useState("30");
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const decide = useMutation({
    mutationFn: (a: NonNullable<Action>) =>
      a.kind === "approve"
        ? api.exceptions.approve(a.row.id, reason)
        : a.kind === "reject"
          ? api.exceptions.reject(a.row.id, reason)
          : api.exceptions.extend(a.row.id, Number(days), reason),
    onSuccess: (row, a) => {
      setAction(null);
      setReason("");
      setNotice(
        `${a.kind === "approve" ? "Approved" : a.kind === "reject" ? "Rejected" : "Extended"} the ${humanize(row.kind).toLowerCase()} exception for ${row.subject}. It is now ${EXCEPTION_STATE[row.state ?? ""]?.label ?? row.state}.`,
      );
      void queryClient.invalidateQueries({ queryKey: ["exceptions"] });
    },
  });
  const isSecurity = hasRole(user, "security_reviewer");
  const isCab = hasRole(user, "cab_approver");
  const mayRequest = hasRole(user, "packaging_engineer", "publisher");
  return (
    <Page title="Exceptions" subtitle="Time-boxed, owned exceptions to policy, approved by a Security Reviewer.">
      {notice ? (
        <p ref={noticeRef} className="alert alert-success" role="status" tabIndex={-1}>
          {notice}
        </p>
      ) : null}
      {decide.error && !action ? <ProblemAlert error={decide.error} /> : null}
      <form
        className="filters"
        role="search"
        aria-label="Filter exceptions"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          setFilters({ state: String(f.get("state") ?? ""), kind: String(f.get("kind") ?? "") });
        }}
      >
        <div className="field">
          <label htmlFor="exc-state">State</label>
          <select id="exc-state" name="state" defaultValue={values.state}>
            <option value="">Any</option>
            {Object.entries(EXCEPTION_STATE).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="exc-kind">Type</label>
          <select id="exc-kind" name="kind" defaultValue={values.kind}>
            <option value="">Any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {humanize(k)}
              </option>
            ))}
          </select>
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
        </div>
      </form>
      <DataState query={list} label="exceptions" isEmpty={rows.length === 0 && !cursor} empty="No exception matches these filters.">
        <div className="table-wrap">
          <table className="table" aria-busy={list.isFetching}>
            <caption className="sr-only">Exceptions</caption>
            <thead>
              <tr>
                <th scope="col">Exception</th>
                <th scope="col">State</th>
                <th scope="col">Justification and controls</th>
                <th scope="col">Owner</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => (
                <tr key={x.id} data-exception={x.subject}>
                  <td>
                    <strong>{humanize(x.kind)}</strong>: {x.subject || "—"}
                    <div className="small muted">requested by {x.requested_by} {formatDateTime(x.created_at)}</div>
                  </td>
                  <td>
                    <LookBadge table={EXCEPTION_STATE} value={x.state} />
                    {x.approvals.length ? (
                      <div className="small">
                        {x.approvals.map((a) => `${a.approver} (${humanize(a.capacity)})`).join(", ")}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    {x.justification}
                    <div className="small">Controls: {x.compensating_controls}</div>
                  </td>
                  <td>{x.owner}</td>
                  <td>
                    <Expiry row={x} />
                  </td>
                  <td>
                    {(isSecurity || (isCab && CAB_KINDS.has(x.kind))) && x.state === "requested" ? (
                      <>
                        <button type="button" className="btn btn-primary" onClick={() => setAction({ kind: "approve", row: x })}>
                          Approve {x.subject}…
                        </button>{" "}
                        <button type="button" className="btn btn-danger" onClick={() => setAction({ kind: "reject", row: x })}>
                          Reject {x.subject}…
                        </button>
                      </>
                    ) : isSecurity && x.state === "approved" ? (
                      <button type="button" className="btn" onClick={() => setAction({ kind: "extend", row: x })}>
                        Extend {x.subject}…
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <Pager
          label="Exceptions"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
        />
      </DataState>
      {mayRequest ? <RequestForm onDone={(row) => {
        setNotice(`Exception for ${row.subject} requested; a Security Reviewer decides.`);
        void queryClient.invalidateQueries({ queryKey: ["exceptions"] });
      }} /> : null}
      <BreakGlassPanel />
      <ConfirmDialog
        open={action !== null}
        title={
          action?.kind === "approve" ? "Approve this exception?" : action?.kind === "reject" ? "Reject this exception?" : "Extend this exception?"
        }
        confirmLabel={action?.kind === "approve" ? "Approve exception" : action?.kind === "reject" ? "Reject exception" : "Extend exception"}
        danger={action?.kind === "reject"}
        busy={decide.isPending}
        onClose={() => {
          setAction(null);
          decide.reset();
        }}
        onConfirm={() => action && decide.mutate(action)}
      >
        {action ? (
          <p>
            {humanize(action.row.kind)} exception for <strong>{action.row.subject}</strong>, owned by {action.row.owner}, expiring{" "}
            {formatDateTime(action.row.expires_at)}.
          </p>
        ) : null}
        {decide.error && action ? <ProblemAlert error={decide.error} /> : null}
        {action?.kind === "extend" ? (
          <div className="field">
            <label htmlFor="exc-days">Extend by (days; at most 90 past the original expiry)</label>
            <input id="exc-days" type="number" min={1} max={90} value={days} onChange={(e) => setDays(e.target.value)} />
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="exc-reason">{action?.kind === "approve" ? "Reason (optional)" : "Reason (required)"}</label>
          <textarea id="exc-reason" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
      </ConfirmDialog>
    </Page>
  );
}
