import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { api, type CabRequest, type Conditions } from "../api/client";
import { ApiProblem } from "../api/problem";
import { fieldErrorsOf, fieldId, unplacedErrors } from "../lib/fields";
import { humanize } from "../lib/format";
import { ConfirmDialog } from "./ConfirmDialog";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";

export type DecisionKind = "approve" | "reject" | "conditional";

const TITLES: Record<DecisionKind, string> = {
  approve: "Approve this change?",
  reject: "Reject this change?",
  conditional: "Approve with conditions?",
};
const CONFIRM: Record<DecisionKind, string> = {
  approve: "Approve",
  reject: "Reject",
  conditional: "Approve with conditions",
};

const PLACED = new Set([
  "reason",
  "expires_in_days",
  "conditions",
  "conditions.max_ring",
  "conditions.min_success_threshold",
  "conditions.min_soak_hours",
  "conditions.monitoring_window_hours",
]);

/** What a refused decision means, in words, above the server's own detail. */
function refusalHeading(problem: ApiProblem): string | undefined {
  if (problem.code === "separation-of-duties") return "Separation of duties: you may not decide this request";
  if (problem.status === 409) return "This request is closed; no further decision is possible";
  if (problem.status === 403) return "You may not decide CAB requests";
  return undefined;
}

/**
 * Approve, reject (reason required) or approve with structured conditions. Separation-of-duties
 * 403s show their rule, 409s say the request is closed, 400 field errors sit next to their field.
 */
export function CabDecisionDialog({
  request,
  kind,
  rings,
  onClose,
  onDecided,
}: {
  request: CabRequest;
  kind: DecisionKind | null;
  rings: string[];
  onClose: () => void;
  onDecided: (updated: CabRequest, kind: DecisionKind) => void;
}) {
  const [reason, setReason] = useState("");
  const [expires, setExpires] = useState("");
  const [cond, setCond] = useState({ max_ring: "", min_success_threshold: "", min_soak_hours: "", monitoring_window_hours: "" });
  const [localError, setLocalError] = useState("");
  const alertRef = useRef<HTMLDivElement>(null);

  const decide = useMutation({
    mutationFn: async (k: DecisionKind) => {
      const expires_in_days = expires ? Number(expires) : undefined;
      if (k === "reject") return api.cab.reject(request.id, reason);
      if (k === "approve") return api.cab.approve(request.id, { reason, expires_in_days });
      const conditions: Conditions = {};
      if (cond.max_ring) conditions.max_ring = cond.max_ring;
      if (cond.min_success_threshold) conditions.min_success_threshold = Number(cond.min_success_threshold);
      if (cond.min_soak_hours) conditions.min_soak_hours = Number(cond.min_soak_hours);
      if (cond.monitoring_window_hours) conditions.monitoring_window_hours = Number(cond.monitoring_window_hours);
      return api.cab.conditional(request.id, { reason, expires_in_days, conditions });
    },
    onSuccess: (updated, k) => onDecided(updated, k),
  });

  useEffect(() => {
    if (kind) {
      decide.reset();
      setLocalError("");
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kind]);
  const problem = decide.error instanceof ApiProblem ? decide.error : null;
  useEffect(() => {
    if (decide.error) alertRef.current?.focus();
  }, [decide.error]);
  useEffect(() => {
    if (localError) document.getElementById(fieldId("reason"))?.focus();
  }, [localError]);

  const errors = fieldErrorsOf(problem);
  const unplaced = unplacedErrors(errors, (p) => PLACED.has(p));
  const fieldErrs = (path: string) => errors.get(path);

  function confirm() {
    if (!kind) return;
    if (kind === "reject" && !reason.trim()) {
      setLocalError("A rejection needs a reason; it is recorded in the ledger and shown to the requester.");
      return;
    }
    setLocalError("");
    decide.mutate(kind);
  }

  const showRefusal = problem && problem.status !== 400;
  return (
    <ConfirmDialog
      open={kind !== null}
      title={kind ? TITLES[kind] : ""}
      confirmLabel={kind ? CONFIRM[kind] : ""}
      danger={kind === "reject"}
      busy={decide.isPending}
      onClose={onClose}
      onConfirm={confirm}
    >
      <p>
        <strong>
          {request.application_name} {request.version}
        </strong>{" "}
        ({request.intent_name}), evidence pack v{request.pack_version}, risk score {request.score}. Your decision is final
        and recorded in the ledger.
      </p>
      {showRefusal ? (
        <div ref={alertRef} className="alert alert-error" role="alert" tabIndex={-1} data-code={problem.code}>
          <p className="alert-title">
            <strong>{refusalHeading(problem) ?? problem.title}</strong>{" "}
            <span className="muted">
              ({problem.status} {problem.code})
            </span>
          </p>
          <p data-testid="refusal-detail">{problem.detail}</p>
          {typeof problem.extra.rule === "string" ? (
            <p>
              Rule: <code data-testid="refusal-rule">{problem.extra.rule}</code>
            </p>
          ) : null}
          {problem.correlationId ? (
            <p className="small muted">
              Correlation id: <code>{problem.correlationId}</code>
            </p>
          ) : null}
        </div>
      ) : null}
      {decide.error && !problem ? <ProblemAlert ref={alertRef} error={decide.error} /> : null}
      {problem?.status === 400 ? (
        <div ref={alertRef} className="alert alert-error" role="alert" tabIndex={-1} data-code={problem.code}>
          <p>
            <strong>{problem.title}.</strong> {problem.detail} Correct the fields marked below.
          </p>
          {unplaced.length ? (
            <ul>
              {unplaced.map(([path, msgs]) => (
                <li key={path}>
                  <code>{path}</code>: {msgs.join(" ")}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {kind === "conditional" ? (
        <fieldset className="conditions">
          <legend>Conditions the rollout engine will enforce (at least one)</legend>
          {fieldErrs("conditions")?.length ? <p className="field-error">{fieldErrs("conditions")?.join(" ")}</p> : null}
          <Field path="conditions.max_ring" label="Highest ring allowed" errors={fieldErrs("conditions.max_ring")}>
            {(p) => (
              <select {...p} value={cond.max_ring} onChange={(e) => setCond({ ...cond, max_ring: e.target.value })}>
                <option value="">No limit</option>
                {rings.map((r) => (
                  <option key={r} value={r}>
                    {humanize(r)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            path="conditions.min_success_threshold"
            label="Stricter success threshold (0–1)"
            hint="Above the policy threshold of the gated rings, e.g. 0.99."
            errors={fieldErrs("conditions.min_success_threshold")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                step="0.001"
                min="0"
                max="1"
                value={cond.min_success_threshold}
                onChange={(e) => setCond({ ...cond, min_success_threshold: e.target.value })}
              />
            )}
          </Field>
          <Field
            path="conditions.min_soak_hours"
            label="Minimum soak (hours)"
            hint="Longer than the policy soak of the gated rings."
            errors={fieldErrs("conditions.min_soak_hours")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                step="1"
                value={cond.min_soak_hours}
                onChange={(e) => setCond({ ...cond, min_soak_hours: e.target.value })}
              />
            )}
          </Field>
          <Field
            path="conditions.monitoring_window_hours"
            label="Monitoring window (hours)"
            errors={fieldErrs("conditions.monitoring_window_hours")}
          >
            {(p) => (
              <input
                {...p}
                type="number"
                step="1"
                value={cond.monitoring_window_hours}
                onChange={(e) => setCond({ ...cond, monitoring_window_hours: e.target.value })}
              />
            )}
          </Field>
        </fieldset>
      ) : null}
      <Field
        path="reason"
        label={kind === "reject" ? "Reason (required)" : "Reason (optional)"}
        errors={fieldErrs("reason") ?? (localError ? [localError] : undefined)}
      >
        {(p) => <textarea {...p} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
      {kind !== "reject" ? (
        <Field
          path="expires_in_days"
          label="Approval expires after (days)"
          hint="Empty: the policy default (30 days)."
          errors={fieldErrs("expires_in_days")}
        >
          {(p) => <input {...p} type="number" min="1" value={expires} onChange={(e) => setExpires(e.target.value)} />}
        </Field>
      ) : null}
    </ConfirmDialog>
  );
}
