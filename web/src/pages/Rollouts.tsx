import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, cursorOf, type RolloutBrief, type RolloutQuery, type RolloutStatus } from "../api/client";
import { DataState } from "../components/DataState";
import { FreezeBanner } from "../components/FreezeBanner";
import { LookBadge } from "../components/LookBadge";
import { Page } from "../components/Page";
import { Pager } from "../components/Pager";
import { DemoClock } from "../components/RolloutView";
import { humanize } from "../lib/format";
import { lookOf } from "../lib/governance";
import { ACTIVE_STATUSES, ROLLOUT_STATUS } from "../lib/rollouts";
import { useUrlState } from "../lib/useUrlState";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const KEYS = ["view", "page_size"] as const;
const PAGE_SIZE = 50;
const VIEWS: { value: string; label: string; statuses: RolloutStatus[] }[] = [
  { value: "active", label: "All active", statuses: ACTIVE_STATUSES },
  { value: "judgment", label: "Awaiting judgment", statuses: ["awaiting_judgment"] },
  { value: "halted", label: "Halted or paused", statuses: ["halted", "paused", "blocked"] },
  { value: "rolling_back", label: "Rolling back", statuses: ["rolling_back"] },
  { value: "finished", label: "Finished", statuses: ["completed", "rolled_back", "failed"] },
];

export function RolloutTable({ rows, caption }: { rows: RolloutBrief[]; caption: string }) {
  return (
    <Table
      caption={caption}
      id="rollouts"
      rows={rows}
      rowKey={(r) => r.id}
      columns={[
        {
          label: "Intent",
          value: (r) => `${r.intent_title} ${r.intent_name}`,
          cell: (r) => (
            <>
              <Link to={`/intents/${r.intent}`}>{r.intent_title}</Link>
              <div className="small muted">{r.intent_name}</div>
            </>
          ),
        },
        { label: "Application", cell: (r) => `${r.application} ${r.version}` },
        {
          label: "Status",
          value: (r) => lookOf(ROLLOUT_STATUS, r.status).label,
          cell: (r) => (
            <>
              <LookBadge table={ROLLOUT_STATUS} value={r.status} />
              {r.status_detail ? <div className="small muted">{r.status_detail}</div> : null}
            </>
          ),
        },
        { label: "Current ring", cell: (r) => humanize(r.current_ring) || "—" },
        { label: "Updated", value: (r) => r.updated_at, cell: (r) => <Time value={r.updated_at} /> },
      ]}
    />
  );
}

export function Rollouts() {
  const { values, cursor, setFilters, setCursor } = useUrlState(KEYS);
  const view = VIEWS.find((v) => v.value === values.view) ?? VIEWS[0]!;
  const pageSize = Math.min(500, Math.max(1, Number.parseInt(values.page_size, 10) || PAGE_SIZE));
  const query: RolloutQuery = { status: view.statuses, cursor: cursor || undefined, page_size: pageSize };
  const list = useQuery({
    queryKey: ["rollouts", query],
    queryFn: () => api.rollouts.list(query),
    placeholderData: keepPreviousData,
    refetchInterval: view.value === "finished" ? 10_000 : 3000, // a rollout may finish while the tab is open
  });
  const rows = list.data?.results ?? [];
  return (
    <Page title="Rollouts" subtitle="Rollouts running, awaiting judgment, halted or rolling back. Updates by itself.">
      <nav className="tabs" aria-label="Rollout views">
        {VIEWS.map((v) => (
          <Link
            key={v.value}
            to={`/rollouts?view=${v.value}`}
            aria-current={v.value === view.value ? "page" : undefined}
            className={v.value === view.value ? "active" : undefined}
          >
            {v.label}
          </Link>
        ))}
      </nav>
      <FreezeBanner />
      <DemoClock scale={rows[0]?.demo_time_scale} />
      <DataState
        query={list}
        label="rollouts"
        isEmpty={rows.length === 0 && !cursor}
        empty={view.value === "active" ? "No rollout is active." : `No rollout in “${view.label}”.`}
      >
        <RolloutTable rows={rows} caption={view.label} />
        <Pager
          label="Rollouts"
          count={rows.length}
          busy={list.isFetching}
          hasPrevious={!!list.data?.previous}
          hasNext={!!list.data?.next}
          onPrevious={() => setCursor(cursorOf(list.data?.previous))}
          onNext={() => setCursor(cursorOf(list.data?.next))}
          pageSize={pageSize}
          onPageSize={(n) => setFilters({ ...values, page_size: String(n) })}
        />
      </DataState>
    </Page>
  );
}
