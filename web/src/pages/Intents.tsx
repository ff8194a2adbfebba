import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { api, cursorOf, type IntentQuery, type IntentState } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { StateBadge } from "../components/StateBadge";
import { formatNumber, humanize } from "../lib/format";
import { DEFAULT_RINGS, INTENT_STATES, ringPlanOf, stateInfo } from "../lib/intents";
import { canPublish } from "../lib/permissions";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const KEYS = ["state", "application", "ring", "business_unit", "q", "page_size"] as const;
const PAGE_SIZE = 50;
const pageSizeOf = (v: string) => Math.min(500, Math.max(1, Number.parseInt(v, 10) || PAGE_SIZE));

export function Intents() {
  const user = useUser();
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const [draft, setDraft] = useState(values);
  const apps = useQuery({ queryKey: ["applications", {}], queryFn: () => api.applications.list() });
  const query: IntentQuery = {
    state: values.state ? [values.state as IntentState] : undefined,
    application: values.application || undefined,
    ring: values.ring,
    business_unit: values.business_unit,
    q: values.q,
    cursor: cursor || undefined,
    page_size: pageSizeOf(values.page_size),
  };
  const intents = useQuery({
    queryKey: ["intents", query],
    queryFn: () => api.intents.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = intents.data?.results ?? [];

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  return (
    <Page
      title="Intents"
      subtitle="What should be installed where, through which rings."
      actions={
        canPublish(user) ? (
          <Link className="btn btn-primary" to="/intents/new">
            New intent
          </Link>
        ) : null
      }
    >
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter intents">
        <div className="field">
          <label htmlFor="flt-state">State</label>
          <select id="flt-state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value })}>
            <option value="">Any</option>
            {INTENT_STATES.map((s) => (
              <option key={s} value={s}>
                {stateInfo(s).label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="flt-application">Application</label>
          <select id="flt-application" value={draft.application} onChange={(e) => setDraft({ ...draft, application: e.target.value })}>
            <option value="">Any</option>
            {(apps.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="flt-ring">Ring</label>
          <select id="flt-ring" value={draft.ring} onChange={(e) => setDraft({ ...draft, ring: e.target.value })}>
            <option value="">Any</option>
            {DEFAULT_RINGS.map((r) => (
              <option key={r} value={r}>
                {humanize(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="flt-bu">Business unit</label>
          <input id="flt-bu" value={draft.business_unit} onChange={(e) => setDraft({ ...draft, business_unit: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="flt-q">Search</label>
          <input id="flt-q" type="search" placeholder="Title or name" value={draft.q} onChange={(e) => setDraft({ ...draft, q: e.target.value })} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
          <button
            type="button"
            className="btn"
            onClick={() => {
              const empty = Object.fromEntries(KEYS.map((k) => [k, ""])) as typeof values;
              setDraft(empty);
              setFilters(empty);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <DataState query={intents} label="intents" isEmpty={rows.length === 0 && !cursor} empty="No intent matches these filters.">
        <Table
          caption="Deployment intents"
          id="intents"
          rows={rows}
          rowKey={(i) => i.id}
          busy={intents.isFetching}
          columns={[
            {
              label: "Intent",
              value: (i) => `${i.title} ${i.name}`,
              cell: (i) => (
                <>
                  <Link to={`/intents/${i.id}`}>{i.title}</Link>
                  <div className="small muted">{i.name}</div>
                </>
              ),
            },
            { label: "Application", value: (i) => `${i.application_name} ${i.version}`, cell: (i) => `${i.application_name} ${i.version}` },
            { label: "State", value: (i) => stateInfo(i.state ?? "draft").label, cell: (i) => <StateBadge state={i.state ?? "draft"} /> },
            { label: "Target", cell: (i) => `${i.target_boundary} / ${i.target_business_unit}` },
            { label: "Rings", cell: (i) => ringPlanOf(i).map((s) => humanize(s.ring)).join(" → ") },
            { label: "Devices", className: "num", value: (i) => i.target_devices ?? null, cell: (i) => formatNumber(i.target_devices) },
            { label: "Updated", value: (i) => i.updated_at, cell: (i) => <Time value={i.updated_at} /> },
          ]}
        />
        <Pager
          label="Intents"
          count={rows.length}
          busy={intents.isFetching}
          hasPrevious={!!intents.data?.previous}
          hasNext={!!intents.data?.next}
          onPrevious={() => setCursor(cursorOf(intents.data?.previous))}
          pageSize={pageSizeOf(values.page_size)}
          onPageSize={(n) => setFilters({ ...values, page_size: String(n) })}
          onNext={() => setCursor(cursorOf(intents.data?.next))}
        />
      </DataState>
    </Page>
  );
}
