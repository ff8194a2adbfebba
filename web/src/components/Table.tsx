import { type HTMLAttributes, type ReactNode, isValidElement, useEffect, useId, useMemo, useState } from "react";

type Plain = string | number | boolean | null | undefined;

export interface Column<T> {
  /** Column heading (also its key: unique per table). */
  label: string;
  cell: (row: T) => ReactNode;
  /** The cell that names the row (a row header for screen readers); it is never hidden. */
  rowHeader?: boolean;
  /** The cell as plain text or a number, for sorting, filtering and CSV (default: the cell's text). */
  value?: (row: T) => Plain;
  /** false: no sorting on this column (e.g. action buttons). */
  sortable?: boolean;
  /** false: always shown, never offered in the column choice, left out of the CSV (e.g. action buttons). */
  data?: boolean;
  /** Extra class of the cells (e.g. "num" for right-aligned numbers). */
  className?: string;
}

type Direction = "ascending" | "descending";

/** The text of a rendered cell: strings, numbers and the children of elements (not what components compute). */
export function nodeText(node: ReactNode): string {
  if (node === null || node === undefined || typeof node === "boolean") return "";
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(nodeText).join("");
  if (isValidElement(node)) return nodeText((node.props as { children?: ReactNode }).children);
  return "";
}

function plainOf<T>(column: Column<T>, row: T): Plain {
  return column.value ? column.value(row) : nodeText(column.cell(row));
}

function textOf(value: Plain): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Cells a spreadsheet would run as a formula (= + - @, tab, CR) are prefixed with ' (OWASP CSV injection). */
export function csvCell(value: Plain): string {
  let text = textOf(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV of `rows` under `columns` (headings first, CRLF line ends). */
export function toCsv<T>(columns: Column<T>[], rows: T[]): string {
  const lines = [columns.map((c) => csvCell(c.label)), ...rows.map((r) => columns.map((c) => csvCell(plainOf(c, r))))];
  return lines.map((cells) => cells.join(",")).join("\r\n") + "\r\n";
}

function compare(a: Plain, b: Plain): number {
  const empty = (v: Plain) => v === null || v === undefined || v === "";
  if (empty(a) || empty(b)) return empty(a) === empty(b) ? 0 : empty(a) ? 1 : -1; // blanks last
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

const STORAGE = "fleetgate.table-columns.";

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** The columns a person hid on this table, remembered in this browser. */
function useHiddenColumns(tableId: string): [Set<string>, (label: string, hidden: boolean) => void] {
  const key = STORAGE + tableId;
  const read = () => {
    try {
      const saved: unknown = JSON.parse(window.localStorage.getItem(key) ?? "[]");
      return new Set(Array.isArray(saved) ? saved.filter((x): x is string => typeof x === "string") : []);
    } catch {
      return new Set<string>();
    }
  };
  const [hidden, setHidden] = useState<Set<string>>(read);
  useEffect(() => setHidden(read()), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (label: string, hide: boolean) => {
    setHidden((prev) => {
      const next = new Set(prev);
      if (hide) next.add(label);
      else next.delete(label);
      try {
        window.localStorage.setItem(key, JSON.stringify([...next]));
      } catch {
        /* storage full or disabled: the choice lasts for this page only */
      }
      return next;
    });
  };
  return [hidden, toggle];
}

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

/**
 * A data table, the same on every screen: caption, sortable column headings, one row per item; a
 * toolbar to filter the rows shown, choose the columns (remembered per table in this browser) and
 * download the filtered rows as CSV; loading and empty states; the pager, when the list has pages.
 */
export function Table<T>({
  caption,
  captionVisible,
  columns,
  rows,
  rowKey,
  rowData,
  rowProps,
  id,
  loading,
  busy,
  empty,
  pager,
  toolbar = true,
  filename,
}: {
  caption: string;
  captionVisible?: boolean;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** data-* attributes of a row, for styling and tests. */
  rowData?: (row: T) => Record<string, string>;
  /** Other attributes of a row (id, class, tabIndex: a row a link points at). */
  rowProps?: (row: T) => HTMLAttributes<HTMLTableRowElement>;
  /** Names the table for its remembered column choice (default: from the caption). */
  id?: string;
  /** The rows are still loading (nothing to show yet). */
  loading?: boolean;
  /** The rows shown are being refreshed. */
  busy?: boolean;
  /** What to say when there are no rows at all. */
  empty?: ReactNode;
  /** Paging controls, under the table. */
  pager?: ReactNode;
  /** false: a small fixed table (a few facts), no filter, column choice or export. */
  toolbar?: boolean;
  /** The CSV file's name (default: from the caption). */
  filename?: string;
}) {
  const tableId = id ?? slug(caption);
  const uid = useId();
  const [hidden, setHidden] = useHiddenColumns(tableId);
  const [filter, setFilter] = useState("");
  const [choosing, setChoosing] = useState(false);
  const [sort, setSort] = useState<{ label: string; direction: Direction } | null>(null);

  const visible = columns.filter((c) => c.rowHeader || c.data === false || !hidden.has(c.label));
  const dataColumns = visible.filter((c) => c.data !== false);
  const needle = filter.trim().toLowerCase();
  const shown = useMemo(() => {
    let out = needle
      ? rows.filter((r) => dataColumns.some((c) => textOf(plainOf(c, r)).toLowerCase().includes(needle)))
      : rows;
    const by = sort && columns.find((c) => c.label === sort.label);
    if (by) {
      const sign = sort.direction === "ascending" ? 1 : -1;
      out = [...out].sort((a, b) => sign * compare(plainOf(by, a), plainOf(by, b)));
    }
    return out;
  }, [rows, needle, sort, columns, dataColumns]);

  if (loading) {
    return (
      <p className="loading" role="status">
        <span className="spinner" aria-hidden="true" /> Loading {caption.toLowerCase()}…
      </p>
    );
  }
  if (rows.length === 0 && empty !== undefined) {
    return (
      <>
        <p className="empty" role="status">
          {empty}
        </p>
        {pager}
      </>
    );
  }

  const choosable = columns.filter((c) => !c.rowHeader && c.data !== false);
  const toggleSort = (label: string) =>
    setSort((s) => (s?.label === label && s.direction === "ascending" ? { label, direction: "descending" } : { label, direction: "ascending" }));

  return (
    <div className="data-table">
      {toolbar ? (
        <div className="table-toolbar" role="group" aria-label={`${caption}: filter, columns and export`}>
          <div className="field table-filter">
            <label htmlFor={`${uid}-filter`}>Filter these rows</label>
            <input id={`${uid}-filter`} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
          {choosable.length > 0 ? (
            <details className="table-columns" onToggle={(e) => setChoosing(e.currentTarget.open)}>
              <summary className="btn">Columns</summary>
              {/* rendered only while open: a page's own field named like a column keeps its label unique */}
              {choosing ? (
              <fieldset>
                <legend>Columns to show</legend>
                {choosable.map((c) => (
                  <label key={c.label} className="check">
                    <input type="checkbox" checked={!hidden.has(c.label)} onChange={(e) => setHidden(c.label, !e.target.checked)} />{" "}
                    {/* its own name, not the column's: a page's filter of the same name keeps its label */}
                    <span className="sr-only">Show column </span>
                    {c.label}
                  </label>
                ))}
              </fieldset>
              ) : null}
            </details>
          ) : null}
          <button
            type="button"
            className="btn"
            disabled={shown.length === 0}
            onClick={() => download(`${filename ?? tableId}.csv`, toCsv(dataColumns, shown))}
          >
            Export {shown.length} {shown.length === 1 ? "row" : "rows"} as CSV
          </button>
          <span className="small muted" aria-live="polite">
            {needle ? `${shown.length} of ${rows.length} rows match “${filter.trim()}”` : ""}
          </span>
        </div>
      ) : null}
      {/* focusable and named: on a phone the table scrolls sideways, and a keyboard user must reach it */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
        <table className="table" aria-busy={busy || undefined}>
          <caption className={captionVisible ? undefined : "sr-only"}>{caption}</caption>
          <thead>
            <tr>
              {visible.map((c) => {
                const sortable = toolbar && c.sortable !== false && c.data !== false;
                const direction = sort?.label === c.label ? sort.direction : undefined;
                return (
                  <th key={c.label} scope="col" className={c.className} aria-sort={sortable ? (direction ?? "none") : undefined}>
                    {sortable ? (
                      <button type="button" className="sort" onClick={() => toggleSort(c.label)}>
                        {c.label}
                        <span aria-hidden="true">{direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : " ↕"}</span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.map((row) => (
              <tr key={rowKey(row)} {...(rowProps ? rowProps(row) : {})} {...(rowData ? rowData(row) : {})}>
                {visible.map((c) =>
                  c.rowHeader ? (
                    <th key={c.label} scope="row" className={c.className}>
                      {c.cell(row)}
                    </th>
                  ) : (
                    <td key={c.label} className={c.className}>
                      {c.cell(row)}
                    </td>
                  ),
                )}
              </tr>
            ))}
            {shown.length === 0 ? (
              <tr>
                <td colSpan={visible.length} className="muted">
                  {needle ? `No row matches “${filter.trim()}”.` : "No rows."}
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {pager}
    </div>
  );
}
