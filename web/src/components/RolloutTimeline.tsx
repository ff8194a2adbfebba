import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../api/client";
import { GATE_OUTCOME, ROLLOUT_STATUS } from "../lib/rollouts";
import { rolloutTimeline } from "../lib/rolloutTimeline";
import { DataState } from "./DataState";
import { LookBadge } from "./LookBadge";
import { Time } from "./Time";

/** Rollout and gate events of an intent, from its ledger history, as sentences (oldest first). */
export function RolloutTimeline({ intentId, live }: { intentId: string; live: boolean }) {
  const history = useQuery({
    queryKey: ["intent", intentId, "history"],
    queryFn: () => api.intents.history(intentId),
    refetchInterval: live ? 5000 : false,
  });
  const entries = rolloutTimeline(history.data ?? []);
  return (
    <section aria-labelledby="rollout-timeline-h" className="rollout-timeline">
      <h3 id="rollout-timeline-h">Rollout timeline</h3>
      <p className="small muted">Gate readings are listed when their outcome changes.</p>
      <DataState query={history} label="the rollout timeline" isEmpty={entries.length === 0} empty="No rollout event recorded yet.">
        <ol className="timeline" aria-label="Rollout events, oldest first">
          {entries.map((e) => (
            <li key={e.sequence} data-action={e.action}>
              <span className="timeline-time"><Time value={e.at} /></span>
              <span>
                {e.outcome ? (
                  <>
                    <LookBadge
                      table={e.action === "gate.evaluated" || e.action === "rollout.promoted" ? GATE_OUTCOME : ROLLOUT_STATUS}
                      value={e.outcome}
                    />{" "}
                  </>
                ) : null}
                {e.text} <span className="muted">by {e.actor}</span>
                {e.reason ? <> · “{e.reason}”</> : null} ·{" "}
                <Link to={`/ledger/${e.sequence}`} aria-label={`Ledger event ${e.sequence}`}>
                  #{e.sequence}
                </Link>
              </span>
            </li>
          ))}
        </ol>
      </DataState>
    </section>
  );
}
