import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { type Column, Table, csvCell, nodeText, toCsv } from "./Table";

interface App {
  id: string;
  name: string;
  owner: string;
  devices: number;
}

const ROWS: App[] = [
  { id: "1", name: "Notes", owner: "=cmd|' /C calc'!A0", devices: 120 },
  { id: "2", name: "Agent, \"full\"", owner: "ops", devices: 9 },
  { id: "3", name: "Browser", owner: "@ops", devices: 1500 },
];

const COLUMNS: Column<App>[] = [
  { label: "Name", cell: (r) => <strong>{r.name}</strong>, rowHeader: true },
  { label: "Owner", cell: (r) => r.owner },
  { label: "Devices", cell: (r) => <span>{r.devices.toLocaleString("en")}</span>, value: (r) => r.devices, className: "num" },
  { label: "Actions", cell: (r) => <button type="button">Open {r.name}</button>, data: false },
];

function renderTable(props: Partial<Parameters<typeof Table<App>>[0]> = {}) {
  return render(<Table caption="Applications" id="apps" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.id} {...props} />);
}

function bodyRows() {
  const table = screen.getByRole("table", { name: "Applications" });
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((tr) => [...tr.querySelectorAll("th, td")].map((c) => c.textContent));
}

beforeEach(() => window.localStorage.clear());

describe("CSV", () => {
  it("quotes what needs quoting and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(" padded ")).toBe('" padded "');
    for (const risky of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"]) expect(csvCell(risky)).toMatch(/^"?'/);
    expect(csvCell("=HYPERLINK(\"x\")")).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell(42)).toBe("42");
    expect(csvCell(null)).toBe("");
  });

  it("writes headings and one line per row, CRLF, from the column values", () => {
    expect(toCsv(COLUMNS.slice(0, 3), ROWS)).toBe(
      "Name,Owner,Devices\r\n" + "Notes,'=cmd|' /C calc'!A0,120\r\n" + '"Agent, ""full""",ops,9\r\n' + "Browser,'@ops,1500\r\n",
    );
  });

  it("reads the text of a rendered cell", () => {
    expect(nodeText(<span>a<b>b</b>{3}</span>)).toBe("ab3");
    expect(nodeText([null, "x", false])).toBe("x");
  });

  it("exports the filtered, sorted rows of the columns shown, without action columns", async () => {
    const blobs: Blob[] = [];
    const createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b);
      return "blob:csv";
    });
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    const user = userEvent.setup();
    renderTable({ filename: "applications" });
    await user.click(screen.getByText("Columns"));
    await user.click(screen.getByRole("checkbox", { name: "Show column Owner" }));
    await user.type(screen.getByLabelText("Filter these rows"), "o"); // Notes, Browser
    await user.click(screen.getByRole("button", { name: /Devices/ })); // ascending
    await user.click(screen.getByRole("button", { name: "Export 2 rows as CSV" }));
    expect(click).toHaveBeenCalledTimes(1);
    const anchor = click.mock.contexts[0] as HTMLAnchorElement;
    expect(anchor.download).toBe("applications.csv");
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(blobs[0] as Blob);
    });
    expect(text.replace(/^\ufeff/, "")).toBe("Name,Devices\r\nNotes,120\r\nBrowser,1500\r\n");
  });
});

describe("Table", () => {
  it("sorts by a heading, ascending then descending, and says so", async () => {
    const user = userEvent.setup();
    renderTable();
    const devices = screen.getByRole("columnheader", { name: /Devices/ });
    expect(devices).toHaveAttribute("aria-sort", "none");
    await user.click(within(devices).getByRole("button"));
    expect(devices).toHaveAttribute("aria-sort", "ascending");
    expect(bodyRows().map((r) => r[0])).toEqual(['Agent, "full"', "Notes", "Browser"]);
    await user.click(within(devices).getByRole("button"));
    expect(devices).toHaveAttribute("aria-sort", "descending");
    expect(bodyRows().map((r) => r[0])).toEqual(["Browser", "Notes", 'Agent, "full"']);
    await user.click(within(screen.getByRole("columnheader", { name: /Name/ })).getByRole("button"));
    expect(bodyRows().map((r) => r[0])).toEqual(['Agent, "full"', "Browser", "Notes"]);
    expect(screen.getByRole("columnheader", { name: "Actions" })).not.toHaveAttribute("aria-sort");
  });

  it("filters the rows shown on any column's text and says how many match", async () => {
    const user = userEvent.setup();
    renderTable();
    await user.type(screen.getByLabelText("Filter these rows"), "OPS");
    expect(bodyRows().map((r) => r[0])).toEqual(['Agent, "full"', "Browser"]);
    expect(screen.getByText("2 of 3 rows match “OPS”")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Filter these rows"));
    await user.type(screen.getByLabelText("Filter these rows"), "nothing like it");
    expect(screen.getByText("No row matches “nothing like it”.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Export 0 rows as CSV" })).toBeDisabled();
  });

  it("hides and shows columns, remembered per table in this browser", async () => {
    const user = userEvent.setup();
    const { unmount } = renderTable();
    await user.click(screen.getByText("Columns"));
    // the row header and action columns are not offered
    expect(screen.getAllByRole("checkbox").map((c) => c.parentElement?.textContent?.trim())).toEqual([
      "Show column Owner",
      "Show column Devices",
    ]);
    await user.click(screen.getByRole("checkbox", { name: "Show column Devices" }));
    expect(screen.queryByRole("columnheader", { name: /Devices/ })).not.toBeInTheDocument();
    expect(JSON.parse(window.localStorage.getItem("fleetgate.table-columns.apps") ?? "[]")).toEqual(["Devices"]);
    unmount();
    renderTable();
    expect(screen.queryByRole("columnheader", { name: /Devices/ })).not.toBeInTheDocument();
    expect(screen.getByRole("columnheader", { name: "Actions" })).toBeInTheDocument();
    unmount();
    renderTable({ id: "other" }); // another table keeps its own choice
    expect(screen.getByRole("columnheader", { name: /Devices/ })).toBeInTheDocument();
  });

  it("ignores a corrupt remembered choice", () => {
    window.localStorage.setItem("fleetgate.table-columns.apps", "{not json");
    renderTable();
    expect(screen.getAllByRole("columnheader")).toHaveLength(4);
  });

  it("shows loading, empty and the pager", () => {
    const { rerender } = renderTable({ loading: true });
    expect(screen.getByRole("status")).toHaveTextContent("Loading applications…");
    rerender(<Table caption="Applications" columns={COLUMNS} rows={[]} rowKey={(r) => r.id} empty="No application yet." pager={<nav aria-label="pages" />} />);
    expect(screen.getByRole("status")).toHaveTextContent("No application yet.");
    expect(screen.getByRole("navigation", { name: "pages" })).toBeInTheDocument();
    rerender(<Table caption="Applications" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.id} busy pager={<nav aria-label="pages" />} />);
    expect(screen.getByRole("table")).toHaveAttribute("aria-busy", "true");
    expect(screen.getByRole("navigation", { name: "pages" })).toBeInTheDocument();
    expect(screen.getByRole("region", { name: "Applications" })).toHaveAttribute("tabindex", "0");
  });

  it("without a toolbar is a plain table: no filter, no sorting, no export", () => {
    renderTable({ toolbar: false });
    expect(screen.queryByLabelText("Filter these rows")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /CSV/ })).not.toBeInTheDocument();
    expect(screen.getByRole("columnheader", { name: "Devices" })).not.toHaveAttribute("aria-sort");
  });
});
