import { useId } from "react";
import { percent, type SuccessInputs } from "../lib/rollouts";

/**
 * The success rate's interval drawn against the gate threshold, with the same facts as text.
 * The axis shows [floor, 100 %] so a 99 % threshold is not a hair at the right edge.
 */
export function SuccessRateChart({ inputs, label }: { inputs: SuccessInputs; label: string }) {
  const descId = useId();
  const { n, successes, failures, threshold, lower, upper, rate } = inputs;
  const lows = [threshold, lower ?? 1, rate ?? 1].filter((x) => Number.isFinite(x));
  const floor = Math.max(0, Math.floor((Math.min(...lows) - 0.05) * 20) / 20);
  const W = 300;
  const x = (v: number) => ((Math.min(1, Math.max(floor, v)) - floor) / (1 - floor || 1)) * W;
  const hasInterval = lower !== null && upper !== null;
  const text =
    n === 0
      ? `No device has reported yet; the threshold is ${percent(threshold)}.`
      : `${successes} of ${n} succeeded (${percent(rate)}), ${failures} failed` +
        (hasInterval ? `; interval ${percent(lower)} to ${percent(upper)}` : "") +
        `; threshold ${percent(threshold)}` +
        (hasInterval
          ? lower! >= threshold
            ? " — the whole interval is above the threshold."
            : upper! < threshold
              ? " — the whole interval is below the threshold."
              : " — the interval straddles the threshold."
          : ".");
  return (
    <figure className="rate-chart">
      <svg
        viewBox={`-8 0 ${W + 16} 44`}
        width="100%"
        height="44"
        role="img"
        aria-label={`${label}: success rate against threshold`}
        aria-describedby={descId}
        preserveAspectRatio="none"
      >
        <rect x={0} y={14} width={W} height={12} className="rate-axis" />
        {hasInterval ? (
          <rect
            x={x(lower!)}
            y={14}
            width={Math.max(2, x(upper!) - x(lower!))}
            height={12}
            className="rate-interval"
            data-testid="interval"
          />
        ) : null}
        {rate !== null ? (
          <circle cx={x(rate)} cy={20} r={5} className="rate-point" data-testid="rate-point" />
        ) : null}
        <line x1={x(threshold)} x2={x(threshold)} y1={4} y2={36} className="rate-threshold" data-testid="threshold" />
        <text x={0} y={43} className="rate-tick">
          {percent(floor, 0)}
        </text>
        <text x={W} y={43} className="rate-tick" textAnchor="end">
          100 %
        </text>
      </svg>
      <figcaption id={descId} className="small">
        {text}
      </figcaption>
    </figure>
  );
}
