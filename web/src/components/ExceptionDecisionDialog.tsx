import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, type PolicyException } from "../api/client";
import { ApiProblem } from "../api/problem";
import { fieldErrorsOf } from "../lib/fields";
import { humanize } from "../lib/format";
import { ConfirmDialog } from "./ConfirmDialog";
import { ExceptionCoverage } from "./ExceptionCoverage";
import { Field } from "./Field";
import { ProblemAlert } from "./ProblemAlert";
import { Time } from "./Time";

export type ExceptionAction = { kind: "approve" | "reject" | "extend"; row: PolicyException };

const TITLE = { approve: "Approve this exception?", reject: "Reject this exception?", extend: "Extend this exception?" };
const CONFIRM = { approve: "Approve exception", reject: "Reject exception", extend: "Extend exception" };
const NEEDS_REASON = {
  approve: "",
  reject: "A rejection needs a reason; the requester reads it.",
  extend: "An extension needs a reason; it is recorded in the ledger.",
};

/** Approve, reject or extend one exception, showing what it covers before anyone decides. */
export function ExceptionDecisionDialog({
  action,
  onClose,
  onDone,
}: {
  action: ExceptionAction | null;
  onClose: () => void;
  onDone: (row: PolicyException, kind: ExceptionAction["kind"]) => void;
}) {
  const [reason, setReason] = useState("");
  const [days, setDays] = useState("30");
  const [missing, setMissing] = useState("");
  const decide = useMutation({
    mutationFn: (a: ExceptionAction) =>
      a.kind === "approve"
        ? api.exceptions.approve(a.row.id, reason.trim())
        : a.kind === "reject"
          ? api.exceptions.reject(a.row.id, reason.trim())
          : api.exceptions.extend(a.row.id, Number(days), reason.trim()),
    onSuccess: (row, a) => onDone(row, a.kind),
  });
  const { reset } = decide;
  useEffect(() => {
    if (action) {
      setReason("");
      setDays("30");
      setMissing("");
      reset();
    }
  }, [action, reset]);
  const problem = decide.error instanceof ApiProblem ? decide.error : null;
  const errs = fieldErrorsOf(problem);
  const reasonErrors = missing ? [missing] : errs.get("reason");
  const kind = action?.kind ?? "approve";
  return (
    <ConfirmDialog
      open={action !== null}
      title={TITLE[kind]}
      confirmLabel={CONFIRM[kind]}
      danger={kind === "reject"}
      busy={decide.isPending}
      onClose={onClose}
      onConfirm={() => {
        if (!action) return;
        if (NEEDS_REASON[kind] && !reason.trim()) {
          setMissing(NEEDS_REASON[kind]);
          return;
        }
        decide.mutate(action);
      }}
    >
      {action ? (
        <>
          <p>
            {humanize(action.row.kind)} exception for <strong>{action.row.subject}</strong>, requested by {action.row.requested_by},
            owned by {action.row.owner}, expiring <Time value={action.row.expires_at} />.
          </p>
          <h3 className="small">What it covers</h3>
          <ExceptionCoverage row={action.row} />
          <p className="small">
            <strong>Justification:</strong> {action.row.justification}
            <br />
            <strong>Compensating controls:</strong> {action.row.compensating_controls}
          </p>
        </>
      ) : null}
      {decide.error ? (
        <ProblemAlert error={decide.error} title={problem?.status === 400 ? "Not decided; see the marked fields" : undefined} />
      ) : null}
      {kind === "extend" ? (
        <Field path="exc.days" label="Extend by (days; at most 90 past the original expiry)" errors={errs.get("days")}>
          {(p) => <input {...p} type="number" min={1} max={90} value={days} onChange={(e) => setDays(e.target.value)} />}
        </Field>
      ) : null}
      <Field path="exc.reason" label={kind === "approve" ? "Reason (optional)" : "Reason (required)"} errors={reasonErrors}>
        {(p) => (
          <textarea
            {...p}
            rows={3}
            aria-required={kind !== "approve" || undefined}
            value={reason}
            onChange={(e) => {
              setReason(e.target.value);
              if (e.target.value.trim()) setMissing("");
            }}
          />
        )}
      </Field>
    </ConfirmDialog>
  );
}
