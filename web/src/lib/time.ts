/**
 * Times in the person's own time zone (their account's preference; UTC until they choose one), with the
 * UTC time alongside for the tooltip: the ledger, the API and every other person see UTC.
 */
import { createContext, useContext } from "react";

export const UTC = "UTC";

/** The zone every `<Time>` below renders in; the layout provides the signed-in person's. */
export const TimeZoneContext = createContext<string>(UTC);

export function useTimeZone(): string {
  return useContext(TimeZoneContext);
}

function usable(zone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone;
  } catch {
    return UTC; // a zone this browser does not know: UTC, and the tooltip says so
  }
}

/** `2026-12-02T13:50:00Z` in Europe/Berlin → `2026-12-02 14:50 GMT+1`; in UTC → `2026-12-02 13:50 UTC`. */
export function formatInZone(iso: string | null | undefined, zone: string = UTC): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const tz = usable(zone);
  if (tz === UTC) return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}

/** The IANA zones this browser knows, UTC first, for the zone picker. */
export function timeZones(): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [UTC, ...known.filter((z) => z !== UTC)];
}

/** The zone this browser runs in, to suggest. */
export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || UTC;
}
