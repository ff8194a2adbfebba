import type { EvidenceItem } from "../api/client";
import { checklist } from "../lib/evidence";

const STATUS_WORDS: Record<string, string> = {
  verified: "verified by Fleetgate",
  declared: "declared (Fleetgate could not check it)",
  recorded: "recorded as its author wrote it",
};

/** What a pack needs, kind by kind: attached (and how it was checked) or still missing. */
export function EvidenceChecklist({ items, caption }: { items: EvidenceItem[]; caption: string }) {
  const rows = checklist(items);
  const required = rows.filter((r) => r.required);
  const have = required.filter((r) => r.item).length;
  return (
    <section className="evidence-checklist" aria-label={caption}>
      <p className="small" role="status" aria-live="polite" data-testid="checklist-count">
        {have} of {required.length} required kinds of evidence attached
        {have === required.length ? ": ready to seal once the intent is risk assessed and its CAB submission written." : "."}
      </p>
      <ul className="checklist">
        {rows.map((r) => (
          <li key={r.kind} data-kind={r.kind} data-done={r.item ? "yes" : "no"}>
            <span aria-hidden="true">{r.item ? "✓" : r.required ? "○" : "–"} </span>
            <strong>{r.label}</strong>
            {r.item ? (
              <span>
                : {r.item.filename}, {STATUS_WORDS[r.item.status] ?? r.item.status}
              </span>
            ) : (
              <span className="muted">: {r.required ? "missing" : "optional, not attached"}</span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
