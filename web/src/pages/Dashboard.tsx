import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, type IntentBrief } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { StateBadge } from "../components/StateBadge";
import { SubjectLink } from "../components/SubjectLink";
import { humanize } from "../lib/format";
import { INTENT_STATES } from "../lib/intents";
import { hasRole } from "../lib/permissions";
import { ACTIVE_STATUSES } from "../lib/rollouts";
import { RolloutTable } from "./Rollouts";
import { Table } from "../components/Table";
import { Time } from "../components/Time";

const RECENT_EVENTS = 10;

function BriefList({ items, caption, showAction }: { items: IntentBrief[]; caption: string; showAction?: boolean }) {
  return (
    <Table
      caption={caption}
      toolbar={false}
      rows={items}
      rowKey={(i) => `${i.id}-${i.action ?? ""}`}
      columns={[
        {
          label: "Intent",
          cell: (i) => (
            <>
              <Link to={`/intents/${i.id}`}>{i.title}</Link>
              <div className="small muted">{i.name}</div>
            </>
          ),
        },
        { label: "Application", cell: (i) => `${i.application_name} ${i.version}` },
        { label: "State", cell: (i) => <StateBadge state={i.state} /> },
        { label: "Rings", cell: (i) => i.rings.map(humanize).join(" → ") || "—" },
        ...(showAction ? [{ label: "Your action", cell: (i: IntentBrief) => humanize(i.action) }] : []),
      ]}
    />
  );
}

export function Dashboard() {
  const user = useUser();
  const q = useQuery({ queryKey: ["dashboard"], queryFn: api.dashboard });
  const d = q.data;
  const active = useQuery({
    queryKey: ["rollouts", "dashboard", "active"],
    queryFn: () => api.rollouts.list({ status: ACTIVE_STATUSES, page_size: 10 }),
    refetchInterval: 5000,
  });
  // The ledger's own page of the latest events: it names each subject (the dashboard summary has ids only).
  const recent = useQuery({ queryKey: ["ledger", { page_size: RECENT_EVENTS }], queryFn: () => api.ledger.list({ page_size: RECENT_EVENTS }) });
  const events = recent.data?.results ?? [];
  const judge = hasRole(user, "publisher", "cab_approver");
  const ops = hasRole(user, "publisher", "endpoint_ops");
  const mine = (active.data?.results ?? []).filter(
    (r) => (judge && r.status === "awaiting_judgment") || (ops && (r.status === "halted" || r.status === "blocked")),
  );
  return (
    <Page title="Dashboard" subtitle={`Signed in as ${user.username}`}>
      <DataState query={q} label="the dashboard">
        {d ? (
          <div className="grid dash-grid">
            <section className="card" aria-labelledby="by-state">
              <h2 id="by-state">Intents by state</h2>
              <ul className="state-counts">
                {INTENT_STATES.filter((s) => (d.intents_by_state[s] ?? 0) > 0 || ["draft", "in_progress"].includes(s)).map(
                  (s) => (
                    <li key={s}>
                      <Link to={`/intents?state=${s}`}>
                        <span className="count">{d.intents_by_state[s] ?? 0}</span>
                        <StateBadge state={s} />
                      </Link>
                    </li>
                  ),
                )}
              </ul>
            </section>
            <section className="card" aria-labelledby="awaiting">
              <h2 id="awaiting">Awaiting my action</h2>
              {d.awaiting_my_action.length === 0 && mine.length === 0 ? (
                <p className="empty">Nothing waits for you.</p>
              ) : null}
              {d.awaiting_my_action.length > 0 ? (
                <BriefList items={d.awaiting_my_action} caption="Intents awaiting your action" showAction />
              ) : null}
              {mine.length > 0 ? (
                <RolloutTable rows={mine} caption="Rollouts awaiting your judgment or decision" />
              ) : null}
            </section>
            <section className="card wide" aria-labelledby="in-progress">
              <h2 id="in-progress">Rollouts in progress</h2>
              <DataState
                query={active}
                label="rollouts"
                isEmpty={(active.data?.results ?? []).length === 0}
                empty="No rollout is in progress."
              >
                <RolloutTable rows={active.data?.results ?? []} caption="Rollouts in progress" />
              </DataState>
              <p>
                <Link to="/rollouts">Open all rollouts</Link>
              </p>
            </section>
            <section className="card wide" aria-labelledby="recent">
              <h2 id="recent">Recent ledger events</h2>
              <DataState query={recent} label="recent ledger events" isEmpty={events.length === 0} empty="The ledger is empty.">
                <Table
                  caption="The latest ledger events"
                  toolbar={false}
                  rows={events}
                  rowKey={(e) => String(e.sequence)}
                  columns={[
                    {
                      label: "#",
                      cell: (e) => (
                        <Link to={`/ledger/${e.sequence}`} aria-label={`Event ${e.sequence}`}>
                          {e.sequence}
                        </Link>
                      ),
                    },
                    { label: "Time", value: (e) => e.occurred_at ?? null, cell: (e) => <Time value={e.occurred_at} /> },
                    { label: "Actor", cell: (e) => e.actor_name },
                    { label: "Action", cell: (e) => <code>{e.action}</code> },
                    { label: "Subject", cell: (e) => <SubjectLink type={e.subject_type} id={e.subject_id} name={e.subject_name} showType /> },
                  ]}
                />
              </DataState>
              <p>
                <Link to="/ledger">Open the ledger</Link>
              </p>
            </section>
          </div>
        ) : null}
      </DataState>
    </Page>
  );
}
