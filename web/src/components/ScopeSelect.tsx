import type { ReactNode } from "react";
import { errorId, fieldId } from "../lib/fields";
import { Field, FieldError } from "./Field";

export type ScopeOption = { value: string; label: string };

/**
 * A boundary or business-unit field that offers the values Fleetgate knows instead of free text.
 * A value the record already holds but the list lacks stays as its own option, so nothing is
 * changed silently. Only when `freeText` says no value is known at all does it fall back to a text
 * box (the caller's hint says why).
 */
export function ScopeSelect({
  path,
  label,
  name,
  value,
  onChange,
  options,
  special = [],
  placeholder,
  errors,
  hint,
  disabled,
  freeText,
}: {
  path: string;
  label: string;
  name?: string;
  value: string;
  onChange: (value: string) => void;
  /** The known values, shown as themselves. */
  options: string[];
  /** Values with a meaning of their own, e.g. "*" for every boundary; listed first. */
  special?: ScopeOption[];
  /** The empty first option; leave it out when a special value is the default. */
  placeholder?: string;
  errors?: string[];
  hint?: ReactNode;
  disabled?: boolean;
  freeText?: boolean;
}) {
  const known = [...special.map((o) => o.value), ...options];
  return (
    <Field path={path} label={label} errors={errors} hint={hint}>
      {(p) =>
        freeText ? (
          <input {...p} name={name} value={value} onChange={(e) => onChange(e.target.value)} autoComplete="off" spellCheck={false} />
        ) : (
          <select {...p} name={name} value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled}>
            {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
            {special.map((o) => (
              <option key={`special-${o.value}`} value={o.value}>
                {o.label}
              </option>
            ))}
            {options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
            {value && !known.includes(value) ? <option value={value}>{value}</option> : null}
          </select>
        )
      }
    </Field>
  );
}

/**
 * Business units as checkboxes: "All business units" ("*") or any of the known ones. A unit the
 * record holds but Fleetgate does not know stays ticked, as its own box.
 */
export function BusinessUnitChecks({
  path,
  legend,
  value,
  onChange,
  options,
  errors,
}: {
  path: string;
  legend: string;
  value: string[];
  onChange: (value: string[]) => void;
  options: string[];
  errors?: string[];
}) {
  const errId = errorId(path);
  const all = value.includes("*");
  const shown = [...options, ...value.filter((u) => u !== "*" && !options.includes(u))];
  return (
    <fieldset className={`field checkboxes${errors?.length ? " field-invalid" : ""}`} id={fieldId(path)} aria-describedby={errors?.length ? errId : undefined}>
      <legend>{legend}</legend>
      <label className="checkbox">
        <input type="checkbox" checked={all} onChange={() => onChange(all ? [] : ["*"])} /> All business units
      </label>
      {shown.map((u) => (
        <label key={u} className="checkbox">
          <input
            type="checkbox"
            checked={!all && value.includes(u)}
            disabled={all}
            onChange={() => onChange(value.includes(u) ? value.filter((x) => x !== u) : [...value.filter((x) => x !== "*"), u])}
          />{" "}
          {u}
        </label>
      ))}
      {shown.length === 0 ? <p className="small muted">Fleetgate knows no business unit by name yet, so only all of them can be chosen.</p> : null}
      <FieldError id={errId} errors={errors} />
    </fieldset>
  );
}
