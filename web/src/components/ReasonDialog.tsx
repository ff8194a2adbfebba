import { type ReactNode, useEffect, useId, useState } from "react";
import { ConfirmDialog } from "./ConfirmDialog";

/**
 * A confirmation that records a reason in the ledger (pause, halt, freeze, deactivate, resolve …):
 * ConfirmDialog with one labelled text area, required or optional.
 */
export function ReasonDialog({
  open,
  title,
  confirmLabel,
  reasonLabel = "Reason (recorded in the ledger)",
  required = true,
  danger,
  busy,
  children,
  onConfirm,
  onClose,
}: {
  open: boolean;
  title: string;
  confirmLabel: string;
  reasonLabel?: string;
  required?: boolean;
  danger?: boolean;
  busy?: boolean;
  children?: ReactNode;
  onConfirm: (reason: string) => void;
  onClose: () => void;
}) {
  const id = useId();
  const [reason, setReason] = useState("");
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    if (open) {
      setReason("");
      setMissing(false);
    }
  }, [open]);
  return (
    <ConfirmDialog
      open={open}
      title={title}
      confirmLabel={confirmLabel}
      danger={danger}
      busy={busy}
      onClose={onClose}
      onConfirm={() => {
        if (required && !reason.trim()) {
          setMissing(true);
          return;
        }
        onConfirm(reason.trim());
      }}
    >
      {children}
      <div className={`field${missing ? " field-invalid" : ""}`}>
        <label htmlFor={id}>
          {reasonLabel}
          {required ? ", required" : ", optional"}
        </label>
        <textarea
          id={id}
          rows={3}
          aria-required={required || undefined}
          aria-invalid={missing || undefined}
          aria-describedby={missing ? `${id}-error` : undefined}
          value={reason}
          onChange={(e) => {
            setReason(e.target.value);
            if (e.target.value.trim()) setMissing(false);
          }}
        />
        {missing ? (
          <p className="field-error" id={`${id}-error`}>
            <span aria-hidden="true">⚠ </span>Give a reason; it is recorded in the ledger.
          </p>
        ) : null}
      </div>
    </ConfirmDialog>
  );
}
