import { useId } from "react";

export const PAGE_SIZES = [25, 50, 100, 200] as const;

/** Cursor paging: previous / next, with the cursors kept in the URL so pages deep-link. */
export function Pager({
  label,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  count,
  busy,
  pageSize,
  onPageSize,
}: {
  label: string;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  count: number;
  busy?: boolean;
  pageSize?: number;
  onPageSize?: (size: number) => void;
}) {
  const sizeId = useId();
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <button type="button" className="btn" onClick={onPrevious} disabled={!hasPrevious || busy}>
        ← Previous page
      </button>
      <span className="muted" aria-live="polite">
        Showing {count} {count === 1 ? "row" : "rows"}
        {busy ? " (loading…)" : ""}
      </span>
      {pageSize && onPageSize ? (
        <span className="page-size">
          <label htmlFor={sizeId}>Rows per page</label>
          <select id={sizeId} value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
            {[...new Set([...PAGE_SIZES, pageSize])].sort((a, b) => a - b).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </span>
      ) : null}
      <button type="button" className="btn" onClick={onNext} disabled={!hasNext || busy}>
        Next page →
      </button>
    </nav>
  );
}
