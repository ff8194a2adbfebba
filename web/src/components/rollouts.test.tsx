import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { successInputs } from "../lib/rollouts";
import { GateChecklist } from "./GateChecklist";
import { SuccessRateChart } from "./SuccessRateChart";

describe("SuccessRateChart", () => {
  it("draws the interval against the threshold and says the same in text", () => {
    const inputs = successInputs({ n: 200, successes: 198, failures: 2, threshold: 0.95, lower: 0.9643, upper: 0.9972 })!;
    render(<SuccessRateChart inputs={inputs} label="Pilot success rate" />);
    const img = screen.getByRole("img", { name: /Pilot success rate/ });
    expect(img).toHaveAccessibleDescription(/198 of 200 succeeded \(99\.0 %\).*interval 96\.4 % to 99\.7 %.*threshold 95\.0 %.*above the threshold/);
    const interval = img.querySelector("[data-testid=interval]")!;
    const threshold = img.querySelector("[data-testid=threshold]")!;
    // The interval starts right of the threshold line.
    expect(Number(interval.getAttribute("x"))).toBeGreaterThan(Number(threshold.getAttribute("x1")));
  });
  it("says an interval straddling the threshold, and copes with no sample", () => {
    const { unmount } = render(
      <SuccessRateChart inputs={successInputs({ n: 20, successes: 19, failures: 1, threshold: 0.95, lower: 0.76, upper: 0.99 })!} label="Canary" />,
    );
    expect(screen.getByText(/straddles the threshold/)).toBeInTheDocument();
    unmount();
    render(<SuccessRateChart inputs={successInputs({ n: 0, successes: 0, failures: 0, threshold: 0.95 })!} label="Lab" />);
    expect(screen.getByText(/No device has reported yet/)).toBeInTheDocument();
  });
});

describe("GateChecklist", () => {
  it("lists every gate with its outcome in words, summary and inputs", () => {
    render(
      <GateChecklist
        ring="pilot"
        gates={[
          {
            gate: "success_rate",
            outcome: "inconclusive",
            summary: "n = 3 < min_sample 10",
            inputs: { n: 3, successes: 3, failures: 0, threshold: 0.95, lower: 0.43, upper: 1, statistic: "wilson_lower_bound", min_sample: 10 },
          },
          { gate: "min_soak", outcome: "waiting", summary: "soaked 2 h of 24 h", inputs: {} },
          { gate: "evidence_pack_valid", outcome: "pass", summary: "pack v2 verifies" },
          { gate: "zero_security_incidents", outcome: "fail", summary: "P1 open" },
        ]}
      />,
    );
    const list = screen.getByRole("list", { name: "Gates of Pilot" });
    const items = within(list).getAllByRole("listitem");
    expect(items).toHaveLength(4);
    expect(items[0]).toHaveTextContent("Inconclusive");
    expect(items[0]).toHaveTextContent("Success rate");
    expect(within(items[0]!).getByRole("img", { name: /Pilot Success rate/ })).toBeInTheDocument();
    expect(within(items[0]!).getByText("Min sample")).toBeInTheDocument();
    expect(items[1]).toHaveTextContent("Waiting");
    expect(items[2]).toHaveTextContent("Pass");
    expect(items[3]).toHaveTextContent("Fail");
    expect(items[3]).toHaveTextContent("No open security incident");
    for (const svg of list.querySelectorAll("svg.icon")) expect(svg).toHaveAttribute("aria-hidden", "true");
  });
  it("says when nothing was evaluated", () => {
    render(<GateChecklist ring="lab" gates={[]} />);
    expect(screen.getByText(/No gate has been evaluated for Lab yet/)).toBeInTheDocument();
  });
});
