import { render, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../api/problem";
import { ProblemAlert } from "./ProblemAlert";
import { RingTrack } from "./RingTrack";
import { StateBadge } from "./StateBadge";

const RINGS = ["lab", "canary", "pilot", "department", "global"];

describe("RingTrack", () => {
  it("draws all rings Lab → Global with state text and target size", () => {
    render(
      <RingTrack
        rings={RINGS}
        state="submitted"
        plan={[
          { ring: "lab", target_group: "FG-LAB", device_count: 8 },
          { ring: "canary", target_group: "FG-CANARY", device_count: 1200 },
        ]}
      />,
    );
    const track = screen.getByRole("list", { name: /Ring plan/ });
    const items = within(track).getAllByRole("listitem");
    expect(items.map((li) => li.getAttribute("data-ring"))).toEqual(RINGS);
    expect(items[0]).toHaveTextContent("Awaiting approval");
    expect(items[0]).toHaveTextContent("8 devices");
    expect(items[1]).toHaveTextContent("1,200 devices");
    expect(items[2]).toHaveTextContent("Not planned");
    // Icons are decoration next to the text, hidden from assistive tech.
    for (const svg of track.querySelectorAll("svg")) expect(svg).toHaveAttribute("aria-hidden", "true");
  });
});

describe("StateBadge", () => {
  it("says the state in words", () => {
    render(<StateBadge state="awaiting_cab" />);
    expect(screen.getByText("Awaiting CAB")).toBeInTheDocument();
  });
});

describe("ProblemAlert", () => {
  it("shows title, detail, code, a hint and the correlation id", () => {
    const problem = new ApiProblem({
      type: "urn:fleetgate:problem:scope-violation",
      title: "Target is outside your scope",
      status: 403,
      detail: "'intent.create' is outside your scope: boundary globex.",
      code: "scope-violation",
      correlation_id: "cid-42",
    });
    render(<ProblemAlert error={problem} />);
    const alert = screen.getByRole("alert");
    expect(alert).toHaveTextContent("Target is outside your scope");
    expect(alert).toHaveTextContent("403 scope-violation");
    expect(alert).toHaveTextContent("boundary globex");
    expect(alert).toHaveTextContent("outside the scope your role was granted");
    expect(alert).toHaveTextContent("cid-42");
  });
  it("copes with a plain Error", () => {
    render(<ProblemAlert error={new Error("boom")} />);
    expect(screen.getByRole("alert")).toHaveTextContent("boom");
  });
});

describe("DataState", () => {
  const base = { isPending: false, isError: false, error: null, refetch: () => undefined };
  it("announces loading", async () => {
    const { DataState } = await import("./DataState");
    render(
      <DataState query={{ ...base, isPending: true }} label="intents">
        <p>rows</p>
      </DataState>,
    );
    expect(screen.getByRole("status")).toHaveTextContent("Loading intents…");
    expect(screen.queryByText("rows")).toBeNull();
  });
  it("shows the error with a retry", async () => {
    const { DataState } = await import("./DataState");
    const problem = new ApiProblem({
      type: "about:blank",
      title: "Cannot reach Fleetgate",
      status: 0,
      detail: "The request did not reach the server.",
      code: "network-error",
      correlation_id: "",
    });
    render(
      <DataState query={{ ...base, isError: true, error: problem }} label="intents">
        <p>rows</p>
      </DataState>,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("Could not load intents");
    expect(screen.getByRole("button", { name: "Retry" })).toBeInTheDocument();
  });
  it("says when there is nothing", async () => {
    const { DataState } = await import("./DataState");
    render(
      <DataState query={base} label="intents" isEmpty empty="No intent matches these filters.">
        <p>rows</p>
      </DataState>,
    );
    expect(screen.getByRole("status")).toHaveTextContent("No intent matches these filters.");
  });
});

describe("ErrorBoundary", () => {
  it("shows a message instead of a blank page when a screen throws", async () => {
    const { ErrorBoundary } = await import("./ErrorBoundary");
    const Broken = () => {
      throw new Error("kaput");
    };
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert")).toHaveTextContent("This screen failed to display.");
    expect(screen.getByRole("alert")).toHaveTextContent("kaput");
    quiet.mockRestore();
  });
});
