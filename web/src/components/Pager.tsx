/** Cursor paging: previous / next, with the cursors kept in the URL so pages deep-link. */
export function Pager({
  label,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  count,
  busy,
}: {
  label: string;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  count: number;
  busy?: boolean;
}) {
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="btn" onClick={onPrevious} disabled={!hasPrevious || busy}>
        ← Previous page
      </button>
      <span className="muted" aria-live="polite">
        Showing {count} {count === 1 ? "row" : "rows"}
        {busy ? " (loading…)" : ""}
      </span>
      <button type="button" className="btn" onClick={onNext} disabled={!hasNext || busy}>
        Next page →
      </button>
    </nav>
  );
}
