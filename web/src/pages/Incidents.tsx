import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { api, cursorOf, type Incident, type IncidentQuery } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Field } from "../components/Field";
import { FreezeBanner } from "../components/FreezeBanner";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { Table } from "../components/Table";
import { INCIDENT_PRIORITIES, INCIDENT_STATE, canOpenIncident, canResolveIncident } from "../lib/rollouts";
import { useUrlState } from "../lib/useUrlState";
import { Time } from "../components/Time";

const KEYS = ["state", "priority"] as const;
type Priority = (typeof INCIDENT_PRIORITIES)[number];
const OPEN_STATES = ["approved", "in_progress", "paused", "completed", "rolled_back"] as const;

function OpenIncidentForm({ onDone }: { onDone: (row: Incident) => void }) {
  const empty = { intent: "", priority: "P2", security: false, title: "", description: "", external_ticket: "" };
  const [form, setForm] = useState(empty);
  const intents = useQuery({
    queryKey: ["intents", { state: OPEN_STATES, page_size: 200 }],
    queryFn: () => api.intents.list({ state: [...OPEN_STATES], page_size: 200 }),
  });
  const create = useMutation({
    mutationFn: () =>
      api.incidents.create({
        intent: form.intent || null,
        priority: form.priority as Priority,
        security: form.security,
        title: form.title,
        description: form.description,
        external_ticket: form.external_ticket,
      }),
    onSuccess: (row) => {
      setForm(empty);
      onDone(row);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const set = (k: "intent" | "priority" | "title" | "description" | "external_ticket") => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  return (
    <form
      className="form card"
      aria-labelledby="open-incident-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 id="open-incident-h">Open an incident</h2>
      <p className="small muted">
        An open security incident against an intent holds its rollout at the next gate (No open security incident).
      </p>
      {create.error ? (
        <ProblemAlert error={create.error} title={problem?.status === 400 ? "The incident is not valid; see the marked fields" : undefined} />
      ) : null}
      <div className="row">
        <Field path="intent" label="Intent" errors={errs.get("intent")}>
          {(p) => (
            <select {...p} value={form.intent} onChange={set("intent")}>
              <option value="">No intent (fleet-wide)</option>
              {(intents.data?.results ?? []).map((i) => (
                <option key={i.id} value={i.id}>
                  {i.title} ({i.name})
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="priority" label="Priority" errors={errs.get("priority")} hint="P0 is the most urgent, P4 the least.">
          {(p) => (
            <select {...p} value={form.priority} onChange={set("priority")}>
              {INCIDENT_PRIORITIES.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field path="title" label="Title" errors={errs.get("title")}>
        {(p) => <input {...p} value={form.title} onChange={set("title")} />}
      </Field>
      <Field path="description" label="Description (optional)" errors={errs.get("description")}>
        {(p) => <textarea {...p} rows={3} value={form.description} onChange={set("description")} />}
      </Field>
      <div className="row">
        <Field path="external_ticket" label="External ticket (optional)" errors={errs.get("external_ticket")}>
          {(p) => <input {...p} value={form.external_ticket} onChange={set("external_ticket")} />}
        </Field>
        <div className="field field-check">
          <input
            id="incident-security"
            type="checkbox"
            checked={form.security}
            onChange={(e) => setForm({ ...form, security: e.target.checked })}
          />
          <label htmlFor="incident-security">Security incident (holds the intent's rollout)</label>
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Opening…" : "Open incident"}
        </button>
      </div>
    </form>
  );
}

export function Incidents() {
  const user = useUser();
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: IncidentQuery = {
    state: (values.state || undefined) as IncidentQuery["state"],
    priority: (values.priority || undefined) as IncidentQuery["priority"],
    cursor: cursor || undefined,
    page_size: 50,
  };
  const list = useQuery({
    queryKey: ["incidents", query],
    queryFn: () => api.incidents.list(query),
    placeholderData: keepPreviousData,
  });
  const [resolving, setResolving] = useState<Incident | null>(null);
  const [opened, setOpened] = useState<Incident | null>(null);
  const resolve = useMutation({
    mutationFn: ({ id, resolution }: { id: string; resolution: string }) => api.incidents.resolve(id, resolution),
    onSuccess: () => {
      setResolving(null);
      void queryClient.invalidateQueries({ queryKey: ["incidents"] });
    },
    onError: () => setResolving(null),
  });
  const rows = list.data?.results ?? [];
  const mayResolve = canResolveIncident(user);
  return (
    <Page title="Incidents" subtitle="Incidents opened against intents or the fleet; an open security incident holds a rollout.">
      <FreezeBanner />
      {opened ? (
        <p className="alert alert-success" role="status">
          Incident “{opened.title}” ({opened.priority}) opened.
        </p>
      ) : null}
      {resolve.error ? <ProblemAlert error={resolve.error} retryLabel="Dismiss" onRetry={() => resolve.reset()} /> : null}
      <div className="filters row">
        <div className="field">
          <label htmlFor="incident-state">State</label>
          <select id="incident-state" value={values.state} onChange={(e) => setFilters({ ...values, state: e.target.value })}>
            <option value="">Any</option>
            <option value="open">Open</option>
            <option value="resolved">Resolved</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="incident-priority">Priority</label>
          <select id="incident-priority" value={values.priority} onChange={(e) => setFilters({ ...values, priority: e.target.value })}>
            <option value="">Any</option>
            {INCIDENT_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
      </div>
      <DataState query={list} label="incidents" isEmpty={rows.length === 0 && !cursor} empty="No incident matches.">
        <Table
          caption="Incidents"
          rows={rows}
          rowKey={(r) => r.id}
          rowData={(r) => ({ "data-incident": r.title })}
          columns={[
            { label: "Priority", cell: (r) => <strong>{r.priority}</strong> },
            {
              label: "Incident",
              rowHeader: true,
              cell: (r) => (
                <>
                  {r.title}
                  {r.security ? <span className="small"> (security)</span> : null}
                  {r.external_ticket ? <div className="small muted">Ticket {r.external_ticket}</div> : null}
                </>
              ),
            },
            {
              label: "Intent",
              cell: (r) => (r.intent ? <Link to={`/intents/${r.intent}`}>Open the intent</Link> : <span className="muted">Fleet-wide</span>),
            },
            { label: "State", cell: (r) => <LookBadge table={INCIDENT_STATE} value={r.state} /> },
            {
              label: "Opened",
              cell: (r) => (
                <>
                  <Time value={r.opened_at} />
                  {r.resolved_at ? <div className="small muted">Resolved <Time value={r.resolved_at} />: {r.resolution}</div> : null}
                </>
              ),
            },
            {
              label: "Actions",
              cell: (r) =>
                mayResolve && r.state === "open" ? (
                  <button type="button" className="btn btn-small" onClick={() => setResolving(r)}>
                    Resolve<span className="sr-only"> {r.title}</span>…
                  </button>
                ) : (
                  <span className="muted">—</span>
                ),
            },
          ]}
        />
        <Pager
          label="Incidents"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
        />
      </DataState>
      {canOpenIncident(user) ? (
        <OpenIncidentForm
          onDone={(row) => {
            setOpened(row);
            void queryClient.invalidateQueries({ queryKey: ["incidents"] });
          }}
        />
      ) : null}
      <ReasonDialog
        open={resolving !== null}
        title={resolving ? `Resolve “${resolving.title}”?` : ""}
        confirmLabel="Resolve incident"
        reasonLabel="Resolution (recorded in the ledger)"
        busy={resolve.isPending}
        onClose={() => setResolving(null)}
        onConfirm={(resolution) => resolving && resolve.mutate({ id: resolving.id, resolution })}
      >
        <p>Resolving lifts the hold an open security incident puts on its intent's rollout.</p>
      </ReasonDialog>
    </Page>
  );
}
