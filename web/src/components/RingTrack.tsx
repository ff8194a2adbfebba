import type { IntentState } from "../api/client";
import { formatNumber, humanize } from "../lib/format";
import { type RingStep, ringStatus } from "../lib/intents";
import { Icon } from "./Icon";

/** The ring plan drawn as a horizontal track Lab → Global: each ring's state (text + icon) and size. */
export function RingTrack({ rings, plan, state }: { rings: string[]; plan: RingStep[]; state: IntentState | string }) {
  const byRing = new Map(plan.map((s) => [s.ring, s]));
  return (
    // focusable: on a phone the track scrolls sideways, and a keyboard user must reach it
    <ol className="ring-track" aria-label="Ring plan, from Lab to Global" tabIndex={0}>
      {rings.map((ring, index) => {
        const step = byRing.get(ring);
        const status = ringStatus(state, !!step);
        return (
          <li key={ring} className={`ring tone-${status.tone}${step ? "" : " ring-unplanned"}`} data-ring={ring}>
            <span className="ring-index" aria-hidden="true">
              {index}
            </span>
            <span className="ring-name">{humanize(ring)}</span>
            <span className="ring-status">
              <Icon name={status.icon} />
              <span>{status.label}</span>
            </span>
            {step ? (
              <span className="ring-size">
                {formatNumber(step.device_count)} {step.device_count === 1 ? "device" : "devices"}
                <span className="ring-group">{step.target_group}</span>
              </span>
            ) : (
              <span className="ring-size muted">No target</span>
            )}
          </li>
        );
      })}
    </ol>
  );
}
