import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../api/client";
import { formatNumber, humanize } from "../lib/format";
import { DRIFT_KIND, DRIFT_STATUS, driftWhere, intentDrift } from "../lib/drift";
import { DataState } from "./DataState";
import { LookBadge } from "./LookBadge";
import { Time } from "./Time";

/** Drift and stuck state of one intent's rollout (GET /drift/?intent=ID), with a link to the whole list. */
export function RolloutDrift({ intentId, live }: { intentId: string; live: boolean }) {
  const q = useQuery({
    queryKey: ["drift", "list", { intent: intentId, page_size: 200 }],
    queryFn: () => api.drift.list({ intent: intentId, page_size: 200 }),
    refetchInterval: live ? 15_000 : false,
  });
  const rows = q.data?.results ?? [];
  const d = intentDrift(rows);
  return (
    <section aria-labelledby={`drift-${intentId}-h`} className="rollout-drift">
      <h3 id={`drift-${intentId}-h`}>Drift and stuck rings</h3>
      <DataState query={q} label="the drift of this intent">
        {d.openTotal === 0 ? (
          <p role="status" data-drift-open="0">
            No open drift: the planes match what this intent declares.
          </p>
        ) : (
          <>
            <p data-drift-open={d.openTotal}>
              <strong>{formatNumber(d.openTotal)} open drift {d.openTotal === 1 ? "item" : "items"}:</strong>{" "}
              {d.openByKind.map((k, n) => (
                <span key={k.kind}>
                  {n > 0 ? ", " : ""}
                  {formatNumber(k.count)} {DRIFT_KIND[k.kind]?.label.toLowerCase() ?? humanize(k.kind)}
                </span>
              ))}
              .
            </p>
            {d.stuck.length > 0 ? (
              <div className="alert alert-warning" role="note">
                <p className="alert-title">
                  <strong>Stuck:</strong> {d.stuck.length === 1 ? "one item made" : `${d.stuck.length} items made`} no progress
                  past time to compliance.
                </p>
                <ul>
                  {d.stuck.map((s) => (
                    <li key={s.id} data-stuck={s.id}>
                      <Link to={`/drift/${s.id}`}>{s.summary}</Link> <LookBadge table={DRIFT_STATUS} value={s.status} />{" "}
                      <span className="small muted">
                        ({driftWhere(s)}; since <Time value={s.first_seen} />)
                      </span>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </>
        )}
        <p className="small">
          <Link to={`/drift?intent=${encodeURIComponent(intentId)}`}>All drift of this intent</Link>
          {q.data?.next ? " (more than shown here)" : ""}
        </p>
      </DataState>
    </section>
  );
}
