import { Fragment } from "react";
import type { GateResult } from "../api/client";
import { humanize } from "../lib/format";
import { lookOf } from "../lib/governance";
import { GATE_NAMES, GATE_OUTCOME, successInputs } from "../lib/rollouts";
import { LookBadge } from "./LookBadge";
import { SuccessRateChart } from "./SuccessRateChart";
import { Time } from "./Time";

function inputText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** A ring's gates: each one's outcome (icon + text), summary and the inputs it decided on. */
export function GateChecklist({ gates, ring }: { gates: GateResult[]; ring: string }) {
  if (gates.length === 0) {
    return <p className="muted">No gate has been evaluated for {humanize(ring)} yet.</p>;
  }
  return (
    <ul className="gate-list" aria-label={`Gates of ${humanize(ring)}`}>
      {gates.map((g) => {
        const name = GATE_NAMES[g.gate] ?? humanize(g.gate);
        const rate = g.gate === "success_rate" ? successInputs(g.inputs) : null;
        const inputs = g.inputs && typeof g.inputs === "object" ? Object.entries(g.inputs as Record<string, unknown>) : [];
        return (
          <li key={g.gate} className="gate" data-gate={g.gate} data-outcome={g.outcome}>
            <div className="gate-head">
              <LookBadge table={GATE_OUTCOME} value={g.outcome} />
              <strong>{name}</strong>
              <span className="sr-only">: {lookOf(GATE_OUTCOME, g.outcome).label}</span>
            </div>
            {g.summary ? <p className="gate-summary">{g.summary}</p> : null}
            {rate ? <SuccessRateChart inputs={rate} label={`${humanize(ring)} ${name}`} /> : null}
            {inputs.length > 0 ? (
              <details>
                <summary>Inputs</summary>
                <dl className="facts small">
                  {inputs.map(([k, v]) => (
                    <Fragment key={k}>
                      <dt>{humanize(k)}</dt>
                      <dd>
                        <code>{inputText(v)}</code>
                      </dd>
                    </Fragment>
                  ))}
                </dl>
              </details>
            ) : null}
            {g.evaluated_at ? <p className="small muted">Evaluated <Time value={g.evaluated_at} /></p> : null}
          </li>
        );
      })}
    </ul>
  );
}
