import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, type IntentBrief } from "../api/client";
import { useUser } from "../auth/session";
import { DataState } from "../components/DataState";
import { Page } from "../components/Page";
import { StateBadge } from "../components/StateBadge";
import { formatDateTime, humanize } from "../lib/format";
import { INTENT_STATES } from "../lib/intents";
import { hasRole } from "../lib/permissions";
import { ACTIVE_STATUSES } from "../lib/rollouts";
import { RolloutTable } from "./Rollouts";

function BriefList({ items, caption, showAction }: { items: IntentBrief[]; caption: string; showAction?: boolean }) {
  return (
    <div className="table-wrap">
    <table className="table">
      <caption className="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Intent</th>
          <th scope="col">Application</th>
          <th scope="col">State</th>
          <th scope="col">Rings</th>
          {showAction ? <th scope="col">Your action</th> : null}
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={`${i.id}-${i.action ?? ""}`}>
            <td>
              <Link to={`/intents/${i.id}`}>{i.title}</Link>
              <div className="small muted">{i.name}</div>
            </td>
            <td>
              {i.application_name} {i.version}
            </td>
            <td>
              <StateBadge state={i.state} />
            </td>
            <td>{i.rings.map(humanize).join(" → ") || "—"}</td>
            {showAction ? <td>{humanize(i.action)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
    </div>
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
              {d.recent_events.length === 0 ? (
                <p className="empty">The ledger is empty.</p>
              ) : (
                <table className="table">
                  <caption className="sr-only">The latest ledger events</caption>
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">Time</th>
                      <th scope="col">Actor</th>
                      <th scope="col">Action</th>
                      <th scope="col">Subject</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.recent_events.map((e) => (
                      <tr key={e.sequence}>
                        <td>
                          <Link to={`/ledger/${e.sequence}`} aria-label={`Event ${e.sequence}`}>
                            {e.sequence}
                          </Link>
                        </td>
                        <td>{formatDateTime(e.occurred_at)}</td>
                        <td>{e.actor_name}</td>
                        <td>
                          <code>{e.action}</code>
                        </td>
                        <td>
                          {e.subject_type === "intent" ? (
                            <Link to={`/intents/${e.subject_id}`}>intent {e.subject_id.slice(0, 8)}</Link>
                          ) : (
                            `${e.subject_type} ${e.subject_id}`
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
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
