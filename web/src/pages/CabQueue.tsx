import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router";
import { api, type CabQuery, cursorOf } from "../api/client";
import { DataState } from "../components/DataState";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { humanize } from "../lib/format";
import { CAB_STATE, lookOf, quorumText } from "../lib/governance";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const KEYS = ["queue", "state", "business_unit", "page_size"] as const;
const PAGE_SIZE = 50;
const QUEUES = [
  { value: "pending", label: "Pending for me" },
  { value: "mine", label: "My requests" },
  { value: "all", label: "All requests" },
] as const;

export function CabQueue() {
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const queue = values.queue || "pending";
  const [draft, setDraft] = useState(values);
  const pageSize = Math.min(500, Math.max(1, Number.parseInt(values.page_size, 10) || PAGE_SIZE));
  const query: CabQuery = {
    queue: queue === "all" ? undefined : (queue as "pending" | "mine"),
    state: values.state ? [values.state as "open"] : undefined,
    business_unit: values.business_unit,
    cursor: cursor || undefined,
    page_size: pageSize,
  };
  const requests = useQuery({
    queryKey: ["cab-requests", query],
    queryFn: () => api.cab.list(query),
    placeholderData: keepPreviousData,
  });
  const rows = requests.data?.results ?? [];
  const current = QUEUES.find((q) => q.value === queue) ?? QUEUES[0];

  function apply(e: FormEvent) {
    e.preventDefault();
    setFilters({ ...draft, queue });
  }

  return (
    <Page title="CAB queue" subtitle="Change requests that need a Change Advisory Board decision.">
      <nav className="tabs" aria-label="CAB queues">
        {QUEUES.map((q) => (
          <Link
            key={q.value}
            to={`/cab?queue=${q.value}`}
            aria-current={q.value === queue ? "page" : undefined}
            className={q.value === queue ? "active" : undefined}
          >
            {q.label}
          </Link>
        ))}
      </nav>
      <form className="filters" onSubmit={apply} role="search" aria-label="Filter CAB requests">
        <div className="field">
          <label htmlFor="cab-state">State</label>
          <select id="cab-state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value })}>
            <option value="">Any</option>
            {Object.entries(CAB_STATE).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="cab-bu">Business unit</label>
          <input id="cab-bu" value={draft.business_unit} onChange={(e) => setDraft({ ...draft, business_unit: e.target.value })} />
        </div>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply filters
          </button>
        </div>
      </form>
      <DataState
        query={requests}
        label="CAB requests"
        isEmpty={rows.length === 0 && !cursor}
        empty={queue === "pending" ? "Nothing is waiting for your decision." : "No CAB request matches these filters."}
      >
        <Table
          caption={current.label}
          id="cab-queue"
          rows={rows}
          rowKey={(r) => r.id}
          busy={requests.isFetching}
          columns={[
            {
              label: "Change",
              value: (r) => `${r.application_name} ${r.version} ${r.intent_name}`,
              cell: (r) => (
                <>
                  <Link to={`/cab/${r.id}`}>
                    {r.application_name} {r.version}
                  </Link>
                  <div className="small muted">
                    {r.intent_name} · pack v{r.pack_version}
                  </div>
                </>
              ),
            },
            { label: "State", value: (r) => lookOf(CAB_STATE, r.state).label, cell: (r) => <LookBadge table={CAB_STATE} value={r.state} /> },
            { label: "Risk score", className: "num", value: (r) => r.score, cell: (r) => r.score },
            { label: "Quorum", cell: (r) => quorumText(r) },
            { label: "Blast radius class", cell: (r) => humanize(r.blast_radius_class) },
            { label: "Opened", value: (r) => r.created_at, cell: (r) => (
                <>
                  <Time value={r.created_at} /> by {r.opened_by}
                </>
              ) },
          ]}
        />
        <Pager
          label="CAB requests"
          count={rows.length}
          busy={requests.isFetching}
          hasPrevious={!!requests.data?.previous}
          hasNext={!!requests.data?.next}
          onPrevious={() => setCursor(cursorOf(requests.data?.previous))}
          onNext={() => setCursor(cursorOf(requests.data?.next))}
          pageSize={pageSize}
          onPageSize={(n) => setFilters({ ...values, queue, page_size: String(n) })}
        />
      </DataState>
    </Page>
  );
}
