import type { ReactNode } from "react";
import { errorId, fieldId } from "../lib/fields";

/** A labelled control with its inline error (announced and linked via aria-describedby). */
export function Field({
  path,
  label,
  errors,
  hint,
  children,
}: {
  path: string;
  label: string;
  errors?: string[];
  hint?: ReactNode;
  children: (props: {
    id: string;
    "aria-invalid": boolean | undefined;
    "aria-describedby": string | undefined;
  }) => ReactNode;
}) {
  const id = fieldId(path);
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = errors?.length ? errorId(path) : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${errors?.length ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {children({ id, "aria-invalid": errors?.length ? true : undefined, "aria-describedby": describedBy })}
      <FieldError id={errId} errors={errors} />
    </div>
  );
}

/** A field's inline error, linked from its control by `id` (aria-describedby); nothing when there is none. */
export function FieldError({ id, errors }: { id: string | undefined; errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <p className="field-error" id={id}>
      <span aria-hidden="true">⚠ </span>
      {errors.join(" ")}
    </p>
  );
}
