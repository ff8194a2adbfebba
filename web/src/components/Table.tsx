import type { ReactNode } from "react";

export interface Column<T> {
  /** Column heading. */
  label: string;
  cell: (row: T) => ReactNode;
  /** The cell that names the row (a row header for screen readers). */
  rowHeader?: boolean;
}

/** A data table: caption, column headings and one row per item, the same markup on every screen. */
export function Table<T>({
  caption,
  captionVisible,
  columns,
  rows,
  rowKey,
  rowData,
}: {
  caption: string;
  captionVisible?: boolean;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** data-* attributes of a row, for styling and tests. */
  rowData?: (row: T) => Record<string, string>;
}) {
  return (
    // focusable and named: on a phone the table scrolls sideways, and a keyboard user must reach it
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table className="table">
        <caption className={captionVisible ? undefined : "sr-only"}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...(rowData ? rowData(row) : {})}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th key={c.label} scope="row">
                    {c.cell(row)}
                  </th>
                ) : (
                  <td key={c.label}>{c.cell(row)}</td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
