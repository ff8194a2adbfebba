import { forwardRef } from "react";
import { ApiProblem } from "../api/problem";

const HINTS: Record<string, string> = {
  forbidden: "Your roles do not allow this action.",
  "scope-violation": "The target is outside the scope your role was granted.",
  "active-change-conflict": "Only one change per application may hold a ring at a time.",
  "invalid-transition": "The intent's current state does not allow this action.",
  "stale-etag": "Someone changed this since you opened it. Reload to see their change, then retry.",
  "evidence-incomplete": "Submitting needs a sealed, complete evidence pack; close the gaps listed below first.",
  "risk-not-assessed": "Submitting needs a current risk assessment of this intent.",
  "separation-of-duties": "Fleetgate keeps these duties apart: ask another authorised person to take this action.",
  "gate-not-met": "A gate still holds this ring; the rollout view lists each gate with its inputs and outcome.",
  "network-error": "",
};

/** A problem (RFC 9457) in words: what happened, why, and the correlation id to quote. */
export const ProblemAlert = forwardRef<
  HTMLDivElement,
  { error: unknown; title?: string; onRetry?: () => void; retryLabel?: string }
>(function ProblemAlert({ error, title, onRetry, retryLabel = "Retry" }, ref) {
    const problem = error instanceof ApiProblem ? error : null;
    const heading = title ?? problem?.title ?? "Something went wrong";
    const hint = problem ? HINTS[problem.code] : undefined;
    return (
      <div ref={ref} className="alert alert-error" role="alert" tabIndex={-1} data-code={problem?.code}>
        <p className="alert-title">
          <strong>{heading}</strong>
          {problem && problem.status > 0 ? <span className="muted"> ({problem.status} {problem.code})</span> : null}
        </p>
        <p>{problem?.detail ?? (error instanceof Error ? error.message : String(error))}</p>
        {hint ? <p>{hint}</p> : null}
        {problem && problem.errors.length > 0 && !title ? (
          <ul>
            {problem.errors.map((e) => (
              <li key={`${e.field}-${e.rule}-${e.message}`}>
                <code>{e.field}</code>: {e.message}
              </li>
            ))}
          </ul>
        ) : null}
        {problem?.correlationId ? (
          <p className="small muted">
            Correlation id: <code>{problem.correlationId}</code>
          </p>
        ) : null}
        {onRetry ? (
          <button type="button" className="btn" onClick={onRetry}>
            {retryLabel}
          </button>
        ) : null}
      </div>
    );
});
