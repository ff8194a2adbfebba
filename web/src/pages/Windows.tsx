import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { api, cursorOf, type MaintenanceWindow, type RoleName, type WindowQuery } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Field } from "../components/Field";
import { ScopeSelect } from "../components/ScopeSelect";
import { knownScopes } from "../lib/catalog";
import { FreezeBanner } from "../components/FreezeBanner";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { ProblemAlert } from "../components/ProblemAlert";
import { ReasonDialog } from "../components/ReasonDialog";
import { Table } from "../components/Table";
import { ACTIVE_LOOK, WINDOW_KIND, canManageWindows } from "../lib/rollouts";
import { useUrlState } from "../lib/useUrlState";
import { Time } from "../components/Time";

const KEYS = ["kind", "active"] as const;
const WINDOW_ROLES: RoleName[] = ["platform_admin", "endpoint_ops"];

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  const zones = typeof intl.supportedValuesOf === "function" ? intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

function WindowForm({ onDone }: { onDone: (row: MaintenanceWindow) => void }) {
  const user = useUser();
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  // Only where the person may manage windows (the server refuses any other scope).
  const known = knownScopes(user, apps.data ?? [], { roles: WINDOW_ROLES });
  const empty = {
    name: "",
    kind: "window",
    boundary: "",
    business_unit: "",
    site_class: "",
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    starts_local: "",
    duration_minutes: "240",
    rrule: "FREQ=WEEKLY;BYDAY=SA",
  };
  const [form, setForm] = useState(empty);
  const units = knownScopes(user, apps.data ?? [], { boundary: form.boundary, roles: WINDOW_ROLES }).businessUnits;
  // With one boundary known, it is the one meant.
  const onlyBoundary = known.boundaries.length === 1 ? (known.boundaries[0] ?? "") : "";
  useEffect(() => {
    if (onlyBoundary) setForm((f) => (f.boundary ? f : { ...f, boundary: onlyBoundary }));
  }, [onlyBoundary]);
  const create = useMutation({
    mutationFn: () =>
      api.windows.create({
        name: form.name,
        kind: form.kind as "window" | "blackout",
        boundary: form.boundary,
        business_unit: form.business_unit,
        site_class: form.site_class,
        timezone: form.timezone,
        starts_local: form.starts_local,
        duration_minutes: Number(form.duration_minutes),
        rrule: form.rrule,
      }),
    onSuccess: (row) => {
      setForm({ ...empty, boundary: onlyBoundary });
      onDone(row);
    },
  });
  const problem = create.error instanceof ApiProblem ? create.error : null;
  const errs = problem ? problem.fieldErrors() : new Map<string, string[]>();
  const set = (k: keyof typeof empty) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <form
      className="form card"
      aria-labelledby="new-window-h"
      noValidate
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2 id="new-window-h">Add a maintenance window or blackout</h2>
      {create.error ? (
        <ProblemAlert error={create.error} title={problem?.status === 400 ? "The window is not valid; see the marked fields" : undefined} />
      ) : null}
      <div className="row">
        <Field path="name" label="Name" errors={errs.get("name")}>
          {(p) => <input {...p} value={form.name} onChange={set("name")} />}
        </Field>
        <Field path="kind" label="Kind" errors={errs.get("kind")} hint="A window allows rings to start; a blackout forbids them.">
          {(p) => (
            <select {...p} value={form.kind} onChange={set("kind")}>
              <option value="window">Change window</option>
              <option value="blackout">Blackout</option>
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <ScopeSelect
          path="boundary"
          label="Boundary"
          value={form.boundary}
          onChange={(v) => setForm((f) => ({ ...f, boundary: v, business_unit: "" }))}
          options={known.boundaries}
          placeholder={apps.isPending ? "Loading boundaries…" : "Choose a boundary"}
          freeText={apps.isSuccess && known.boundaries.length === 0}
          hint={apps.isSuccess && known.boundaries.length === 0 ? "Fleetgate knows no boundary yet; type the one the window applies to." : undefined}
          errors={errs.get("boundary")}
        />
        <ScopeSelect
          path="business_unit"
          label="Business unit"
          value={form.business_unit}
          onChange={(v) => setForm((f) => ({ ...f, business_unit: v }))}
          options={units}
          special={[{ value: "", label: "All business units" }]}
          errors={errs.get("business_unit")}
        />
        <Field path="site_class" label="Site class (optional: all)" errors={errs.get("site_class")}>
          {(p) => (
            <select {...p} value={form.site_class} onChange={set("site_class")}>
              <option value="">All site classes</option>
              <option value="online">Online</option>
              <option value="intermittent">Intermittent</option>
              <option value="air_gapped">Air-gapped</option>
            </select>
          )}
        </Field>
      </div>
      <div className="row">
        <Field path="timezone" label="Time zone" errors={errs.get("timezone")}>
          {(p) => (
            <select {...p} value={form.timezone} onChange={set("timezone")}>
              {timeZones().map((z) => (
                <option key={z} value={z}>
                  {z}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field path="starts_local" label="First occurrence (wall time in that zone)" errors={errs.get("starts_local")}>
          {(p) => <input {...p} type="datetime-local" value={form.starts_local} onChange={set("starts_local")} />}
        </Field>
        <Field path="duration_minutes" label="Duration (minutes)" errors={errs.get("duration_minutes")}>
          {(p) => <input {...p} type="number" min={1} value={form.duration_minutes} onChange={set("duration_minutes")} />}
        </Field>
      </div>
      <Field
        path="rrule"
        label="Repeats (RRULE, optional)"
        errors={errs.get("rrule")}
        hint={
          <>
            An iCalendar rule, for example <code>FREQ=WEEKLY;BYDAY=SA</code> every Saturday or <code>FREQ=DAILY</code>; empty for once.
          </>
        }
      >
        {(p) => <input {...p} value={form.rrule} onChange={set("rrule")} spellCheck={false} />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add"}
        </button>
      </div>
    </form>
  );
}

export function Windows() {
  const user = useUser();
  const queryClient = useQueryClient();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const query: WindowQuery = {
    kind: (values.kind || undefined) as WindowQuery["kind"],
    active: values.active === "" ? true : values.active === "all" ? undefined : values.active === "true",
    cursor: cursor || undefined,
  };
  const list = useQuery({
    queryKey: ["windows", query],
    queryFn: () => api.windows.list(query),
    placeholderData: keepPreviousData,
  });
  const [closing, setClosing] = useState<MaintenanceWindow | null>(null);
  const [added, setAdded] = useState<MaintenanceWindow | null>(null);
  const deactivate = useMutation({
    mutationFn: ({ id, reason }: { id: string; reason: string }) => api.windows.deactivate(id, reason),
    onSuccess: () => {
      setClosing(null);
      void queryClient.invalidateQueries({ queryKey: ["windows"] });
    },
    onError: () => setClosing(null),
  });
  const manage = canManageWindows(user);
  const rows = list.data?.results ?? [];
  return (
    <Page title="Maintenance windows" subtitle="When rings may start (windows) and when they may not (blackouts), per boundary, in local time.">
      <FreezeBanner />
      {added ? (
        <p className="alert alert-success" role="status">
          “{added.name}” added.
        </p>
      ) : null}
      {deactivate.error ? <ProblemAlert error={deactivate.error} retryLabel="Dismiss" onRetry={() => deactivate.reset()} /> : null}
      <div className="filters row">
        <div className="field">
          <label htmlFor="window-kind">Kind</label>
          <select id="window-kind" value={values.kind} onChange={(e) => setFilters({ ...values, kind: e.target.value })}>
            <option value="">Windows and blackouts</option>
            <option value="window">Change windows</option>
            <option value="blackout">Blackouts</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="window-active">Shown</label>
          <select id="window-active" value={values.active} onChange={(e) => setFilters({ ...values, active: e.target.value })}>
            <option value="">Active</option>
            <option value="false">Deactivated</option>
            <option value="all">All</option>
          </select>
        </div>
      </div>
      <DataState
        query={list}
        label="maintenance windows"
        isEmpty={rows.length === 0 && !cursor}
        empty="No window or blackout matches: rings may start at any time (the freeze aside)."
      >
        <Table
          caption="Maintenance windows and blackouts"
          rows={rows}
          rowKey={(r) => r.id}
          rowData={(r) => ({ "data-window": r.name })}
          columns={[
            { label: "Name", rowHeader: true, cell: (r) => r.name },
            { label: "Kind", cell: (r) => <LookBadge table={WINDOW_KIND} value={r.kind} /> },
            {
              label: "Scope",
              cell: (r) => (
                <>
                  {r.boundary}
                  {r.business_unit ? ` / ${r.business_unit}` : " / all units"}
                  {r.site_class ? ` / ${r.site_class}` : ""}
                </>
              ),
            },
            {
              label: "When",
              cell: (r) => (
                <>
                  From {r.starts_local.replace("T", " ")} ({r.timezone}) for {r.duration_minutes} min
                  <div className="small muted">{r.rrule ? <code>{r.rrule}</code> : "Once"}</div>
                </>
              ),
            },
            { label: "State", cell: (r) => <LookBadge table={ACTIVE_LOOK} value={String(r.active)} /> },
            { label: "Added", value: (r) => r.created_at ?? null, cell: (r) => <Time value={r.created_at} /> },
            {
              label: "Actions",
              cell: (r) =>
                manage && r.active ? (
                  <button type="button" className="btn btn-small" onClick={() => setClosing(r)}>
                    Deactivate<span className="sr-only"> {r.name}</span>…
                  </button>
                ) : (
                  <span className="muted">—</span>
                ),
            },
          ]}
        />
        <Pager
          label="Maintenance windows"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
        />
      </DataState>
      {manage ? (
        <WindowForm
          onDone={(row) => {
            setAdded(row);
            void queryClient.invalidateQueries({ queryKey: ["windows"] });
          }}
        />
      ) : null}
      <ReasonDialog
        open={closing !== null}
        title={closing ? `Deactivate “${closing.name}”?` : ""}
        confirmLabel="Deactivate"
        danger
        busy={deactivate.isPending}
        onClose={() => setClosing(null)}
        onConfirm={(reason) => closing && deactivate.mutate({ id: closing.id, reason })}
      >
        <p>It stops applying at the next engine pass; the record stays in the ledger.</p>
      </ReasonDialog>
    </Page>
  );
}
