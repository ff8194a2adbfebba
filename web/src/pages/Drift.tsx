import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { api, cursorOf, type Drift as DriftRow, type DriftDecision, type DriftQuery } from "../api/client";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { Table } from "../components/Table";
import { formatNumber, humanize } from "../lib/format";
import {
  DRIFT_KIND,
  DRIFT_KIND_HINT,
  DRIFT_KINDS,
  DRIFT_ROUTE,
  DRIFT_STATUS,
  DRIFT_STATUSES,
  PLANES,
  SEVERITY,
  kindCounts,
} from "../lib/drift";
import { DEFAULT_RINGS } from "../lib/intents";
import { useUrlState } from "../lib/useUrlState";
import { DONE_TEXT, DecisionButtons, Decisions } from "../components/DriftDecisions";
import { Time } from "../components/Time";

const KEYS = ["kind", "status", "plane", "ring", "boundary", "business_unit", "intent"] as const;

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
              { label: "Last seen", value: (r) => r.last_seen ?? null, cell: (r) => <Time value={r.last_seen} /> },
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
