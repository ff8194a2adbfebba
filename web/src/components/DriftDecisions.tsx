/** Drift decisions: the accept dialog and the decision buttons the list and the detail page share. */
import { useMutation } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { api, type Drift as DriftRow, type DriftDecision } from "../api/client";
import { ApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { ConfirmDialog } from "./ConfirmDialog";
import { ProblemAlert } from "./ProblemAlert";
import { ReasonDialog } from "./ReasonDialog";
import {
  DECISION_LABELS,
  MAX_ACCEPT_DAYS,
  acceptExpiry,
  addDays,
  dateInput,
  driftActions,
  driftWhere,
} from "../lib/drift";

/** The accept dialog: a reason and an expiry date at most 90 days away. */
export function AcceptDialog({
  drift,
  busy,
  onClose,
  onConfirm,
}: {
  drift: DriftRow | null;
  busy: boolean;
  onClose: () => void;
  onConfirm: (reason: string, expiresAt: string) => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [expiry, setExpiry] = useState("");
  const [errors, setErrors] = useState<{ reason?: string; expiry?: string }>({});
  useEffect(() => {
    if (drift) {
      setReason("");
      setExpiry(dateInput(addDays(new Date(), 30)));
      setErrors({});
    }
  }, [drift]);
  const now = new Date();
  return (
    <ConfirmDialog
      open={drift !== null}
      title={drift ? `Accept this drift until a date?` : ""}
      confirmLabel="Accept drift"
      busy={busy}
      onClose={onClose}
      onConfirm={() => {
        const checked = acceptExpiry(expiry);
        const next = {
          reason: reason.trim() ? undefined : "Say why this drift is acceptable.",
          expiry: "error" in checked ? checked.error : undefined,
        };
        setErrors(next);
        if (next.reason || "error" in checked) return;
        onConfirm(reason.trim(), checked.iso);
      }}
    >
      {drift ? (
        <p>
          {drift.summary} ({driftWhere(drift)}). An accepted drift is left as it is until the expiry; then it reopens if a
          pass still sees it.
        </p>
      ) : null}
      <div className={`field${errors.reason ? " field-invalid" : ""}`}>
        <label htmlFor={`${id}-reason`}>Reason (recorded in the ledger), required</label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          aria-required
          aria-invalid={errors.reason ? true : undefined}
          aria-describedby={errors.reason ? `${id}-reason-error` : undefined}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
        {errors.reason ? (
          <p className="field-error" id={`${id}-reason-error`}>
            <span aria-hidden="true">⚠ </span>
            {errors.reason}
          </p>
        ) : null}
      </div>
      <div className={`field${errors.expiry ? " field-invalid" : ""}`}>
        <label htmlFor={`${id}-expiry`}>Accepted until (at most {MAX_ACCEPT_DAYS} days), required</label>
        <input
          id={`${id}-expiry`}
          type="date"
          aria-required
          min={dateInput(addDays(now, 1))}
          max={dateInput(addDays(now, MAX_ACCEPT_DAYS))}
          aria-invalid={errors.expiry ? true : undefined}
          aria-describedby={errors.expiry ? `${id}-expiry-error` : undefined}
          value={expiry}
          onChange={(e) => setExpiry(e.target.value)}
        />
        {errors.expiry ? (
          <p className="field-error" id={`${id}-expiry-error`}>
            <span aria-hidden="true">⚠ </span>
            {errors.expiry}
          </p>
        ) : null}
      </div>
    </ConfirmDialog>
  );
}

/** Acknowledge / resolve / accept one drift, for the roles that decide it; the server decides. */
export function useDriftDecision(onDone: (row: DriftRow, action: DriftDecision) => void) {
  return useMutation({
    mutationFn: ({ row, action, reason, expiresAt }: { row: DriftRow; action: DriftDecision; reason: string; expiresAt?: string }) =>
      action === "acknowledge"
        ? api.drift.acknowledge(row.id, row.etag, reason)
        : action === "resolve"
          ? api.drift.resolve(row.id, row.etag, reason)
          : api.drift.accept(row.id, row.etag, reason, expiresAt ?? ""),
    onSuccess: (row, { action }) => onDone(row, action),
  });
}

export function DecisionButtons({ row, onPick }: { row: DriftRow; onPick: (action: DriftDecision) => void }) {
  const user = useUser();
  const actions = driftActions(user, row);
  if (actions.length === 0) return <span className="muted">—</span>;
  return (
    <span role="group" aria-label={`Decisions on ${row.summary}`} className="drift-actions">
      {actions.map((a) => (
        <button key={a} type="button" className="btn btn-small" onClick={() => onPick(a)}>
          {DECISION_LABELS[a]}
          <span className="sr-only"> {row.summary}</span>…
        </button>
      ))}
    </span>
  );
}

/** The decision dialogs and their outcome, shared by the list and the detail. */
export function Decisions({
  picked,
  onClose,
  onDone,
}: {
  picked: { row: DriftRow; action: DriftDecision } | null;
  onClose: () => void;
  onDone: (row: DriftRow, action: DriftDecision) => void;
}) {
  const decide = useDriftDecision((row, action) => {
    onDone(row, action);
    onClose();
  });
  const alertRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (decide.error) alertRef.current?.focus();
  }, [decide.error]);
  const problem = decide.error instanceof ApiProblem ? decide.error : null;
  const row = picked?.row ?? null;
  return (
    <>
      {decide.error ? (
        <ProblemAlert
          ref={alertRef}
          error={decide.error}
          title={problem?.status === 400 ? "The decision is not valid" : undefined}
          retryLabel="Dismiss"
          onRetry={() => decide.reset()}
        />
      ) : null}
      <ReasonDialog
        open={picked?.action === "acknowledge" || picked?.action === "resolve"}
        title={picked?.action === "resolve" ? "Mark this drift resolved?" : "Acknowledge this drift?"}
        confirmLabel={picked ? DECISION_LABELS[picked.action] : "Confirm"}
        reasonLabel={picked?.action === "resolve" ? "How it was resolved (recorded in the ledger)" : "Note (recorded in the ledger)"}
        required={picked?.action === "resolve"}
        busy={decide.isPending}
        onClose={onClose}
        onConfirm={(reason) => {
          if (picked) {
            decide.reset();
            decide.mutate({ row: picked.row, action: picked.action, reason });
          }
        }}
      >
        {row ? (
          <p>
            {row.summary} ({driftWhere(row)}).{" "}
            {picked?.action === "resolve"
              ? "A resolved drift reopens if a later pass still sees it."
              : "Acknowledging records that you have seen it; the drift stays open."}
          </p>
        ) : null}
      </ReasonDialog>
      <AcceptDialog
        drift={picked?.action === "accept" ? row : null}
        busy={decide.isPending}
        onClose={onClose}
        onConfirm={(reason, expiresAt) => {
          if (picked) {
            decide.reset();
            decide.mutate({ row: picked.row, action: "accept", reason, expiresAt });
          }
        }}
      />
    </>
  );
}

export const DONE_TEXT: Record<DriftDecision, string> = {
  acknowledge: "Acknowledged",
  resolve: "Marked resolved",
  accept: "Accepted",
};
