import { type Look, lookOf } from "../lib/governance";
import { Badge } from "./Governance";

/** A state from one of the governance tables, as icon + text. */
export function LookBadge({ table, value }: { table: Record<string, Look>; value: string | null | undefined }) {
  const look = lookOf(table, value);
  return <Badge tone={look.tone} icon={look.icon} label={look.label} data={value ?? ""} />;
}
