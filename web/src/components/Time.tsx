import { type ReactNode, useId, useState } from "react";
import { formatInZone, UTC, useTimeZone } from "../lib/time";

/**
 * A point in time, as every screen shows one: in the person's own time zone, with the UTC time (what the
 * ledger records and other people see) in a tooltip on hover and on keyboard focus. The tooltip stays
 * while the pointer is over it and Escape dismisses it (WCAG 1.4.13); screen readers hear it as the
 * time's description. `children` replaces the visible text (e.g. "5 min ago").
 */
export function Time({ value, children }: { value: string | null | undefined; children?: ReactNode }) {
  const zone = useTimeZone();
  const id = useId();
  const [open, setOpen] = useState(false);
  if (!value) return <>{children ?? "—"}</>;
  const local = formatInZone(value, zone);
  const utc = formatInZone(value, UTC);
  const tip = children ? `${local} · ${utc}` : zone === UTC ? `${utc} (your time zone is UTC)` : utc;
  return (
    <span
      className="time"
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
      onFocus={() => setOpen(true)}
      onBlur={() => setOpen(false)}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <time dateTime={value} tabIndex={0} aria-describedby={id}>
        {children ?? local}
      </time>
      <span role="tooltip" id={id} className={open ? "time-tip open" : "time-tip"}>
        {tip}
      </span>
    </span>
  );
}
