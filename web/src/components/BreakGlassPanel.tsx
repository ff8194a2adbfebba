import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { BREAK_GLASS_STATE, lookOf } from "../lib/governance";
import { hasRole } from "../lib/permissions";
import { DataState } from "./DataState";
import { Field } from "./Field";
import { LookBadge } from "./LookBadge";
import { ProblemAlert } from "./ProblemAlert";
import { Time } from "./Time";
import { Table } from "./Table";

/** Break-glass uses: request (P0/P1), confirm as a second person, review within 24 hours. */
export function BreakGlassPanel() {
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
        <Table
          caption="Break-glass requests and their state"
          id="break-glass"
          rows={rows}
          rowKey={(b) => b.id}
          columns={[
            { label: "Intent", cell: (b) => b.intent_name },
            { label: "Priority", cell: (b) => b.priority },
            {
              label: "State",
              value: (b) => lookOf(BREAK_GLASS_STATE, b.state).label,
              cell: (b) => (
                <>
                  <LookBadge table={BREAK_GLASS_STATE} value={b.state} />
                  {b.state === "active" ? <div className="small">Review due <Time value={b.review_due_at} /></div> : null}
                </>
              ),
            },
            {
              label: "People",
              cell: (b) =>
                `Requested by ${b.requested_by}${b.confirmed_by ? `, confirmed by ${b.confirmed_by}` : ""}${b.reviewed_by ? `, reviewed by ${b.reviewed_by}` : ""}`,
            },
            { label: "Reason", cell: (b) => b.reason },
            {
              label: "Action",
              data: false,
              cell: (b) =>
                b.state === "pending" && mayConfirm ? (
                  <button type="button" className="btn" onClick={() => act.mutate({ id: b.id, kind: "confirm" })}>
                    Confirm as second person
                  </button>
                ) : b.state === "active" && mayReview ? (
                  <span>
                    <label htmlFor={`bg-notes-${b.id}`}>Review notes</label>
                    <input id={`bg-notes-${b.id}`} value={notes[b.id] ?? ""} onChange={(e) => setNotes({ ...notes, [b.id]: e.target.value })} />
                    <button type="button" className="btn" onClick={() => act.mutate({ id: b.id, kind: "review" })}>
                      Record review
                    </button>
                  </span>
                ) : (
                  "—"
                ),
            },
          ]}
        />
      </DataState>
    </section>
  );
}

