import { useQuery } from "@tanstack/react-query";
import type { EvidenceItem } from "../api/client";
import { reads } from "../api/reads";
import { checklist, gapAnchor, gapWords, kindLabel } from "../lib/evidence";

const STATUS_WORDS: Record<string, string> = {
  verified: "verified by Fleetgate",
  declared: "declared (Fleetgate could not check it)",
  recorded: "recorded as its author wrote it",
};

/**
 * What a pack needs, kind by kind: attached (and how it was checked) or still missing, and what the
 * server's completeness checks still find before sealing. It asks the server again whenever the
 * artifact's evidence changes (the completeness query sits under the ["evidence", artifactId] key
 * that an upload invalidates).
 */
export function EvidenceChecklist({ artifactId, items, caption }: { artifactId: string; items: EvidenceItem[]; caption: string }) {
  const rows = checklist(items);
  const required = rows.filter((r) => r.required);
  const readiness = useQuery({
    queryKey: ["evidence", artifactId, "completeness"],
    queryFn: () => reads.evidence.completeness(artifactId),
  });
  const gaps = readiness.data?.gaps ?? [];
  const missing = new Set(gaps.filter((g) => g.check === "sections-present").map((g) => g.kind));
  // counted by the same rule as each row's tick: an item the server still reports missing is not counted yet
  const have = required.filter((r) => r.item && !missing.has(r.kind)).length;
  const open = gaps.filter((g) => g.check !== "sections-present");
  const complete = readiness.isSuccess && gaps.length === 0;
  return (
    <section className="evidence-checklist" aria-label={caption}>
      <p className="small" role="status" aria-live="polite" data-testid="checklist-count">
        {have} of {required.length} required kinds of evidence attached
        {complete ? ": the evidence is complete; ready to seal once the intent is risk assessed and its CAB submission written." : "."}
      </p>
      <ul className="checklist">
        {rows.map((r) => {
          const lacking = r.required && (!r.item || missing.has(r.kind));
          return (
            <li key={r.kind} id={gapAnchor(artifactId, r.kind)} tabIndex={-1} data-kind={r.kind} data-done={r.item && !lacking ? "yes" : "no"}>
              <span aria-hidden="true">{r.item && !lacking ? "✓" : r.required ? "○" : "–"} </span>
              <strong>{r.label}</strong>
              {r.item ? (
                <span>
                  : {r.item.filename}, {STATUS_WORDS[r.item.status] ?? r.item.status}
                </span>
              ) : (
                <span className="muted">: {r.required ? "missing" : "optional, not attached"}</span>
              )}
            </li>
          );
        })}
      </ul>
      {readiness.isError ? (
        <p className="small muted" role="status">
          Fleetgate could not check completeness just now; the list above shows what is attached. Reload the page to check again.
        </p>
      ) : open.length > 0 ? (
        <div className="small" data-testid="completeness-gaps">
          <p>
            <strong>Still to mend before sealing:</strong>
          </p>
          <ul>
            {open.map((g) => (
              <li key={`${g.check}-${g.field}`}>
                {gapWords(g.check, g.field)}
                {g.kind ? ` (${kindLabel(g.kind)})` : ""}.
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
