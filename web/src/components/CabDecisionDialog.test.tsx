import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, type CabRequest } from "../api/client";
import { ApiProblem } from "../api/problem";
import { CabDecisionDialog, type DecisionKind } from "./CabDecisionDialog";

const REQUEST = {
  id: "r1",
  intent: "i1",
  intent_name: "falcon-7-18-sales",
  intent_state: "awaiting_cab",
  application_name: "CrowdStrike Falcon Sensor",
  version: "7.18.0",
  state: "open",
  evidence_pack: "p1",
  pack_version: 1,
  assessment: "a1",
  score: 30,
  quorum: 3,
  opened_by: "publisher",
  decisions: [],
} as unknown as CabRequest;

function show(kind: DecisionKind) {
  const onDecided = vi.fn();
  render(
    <QueryClientProvider client={new QueryClient()}>
      <CabDecisionDialog request={REQUEST} kind={kind} rings={["lab", "canary", "pilot"]} onClose={() => undefined} onDecided={onDecided} />
    </QueryClientProvider>,
  );
  return onDecided;
}

const problem = (body: Record<string, unknown>) =>
  new ApiProblem({ type: "urn:x", title: "t", detail: "", correlation_id: "c-1", ...body } as never);

afterEach(() => vi.restoreAllMocks());

describe("CAB decision dialog", () => {
  it("shows a separation-of-duties refusal with its detail and rule", async () => {
    vi.spyOn(api.cab, "approve").mockRejectedValue(
      problem({
        status: 403,
        code: "separation-of-duties",
        title: "Separation of duties",
        detail: "You packaged the artifact, so you may not decide on it.",
        rule: "conflict-of-interest",
      }),
    );
    show("approve");
    await userEvent.click(screen.getByRole("button", { name: "Approve", hidden: true }));
    await waitFor(() => expect(screen.getByTestId("refusal-rule").textContent).toBe("conflict-of-interest"));
    expect(screen.getByText("Separation of duties: you may not decide this request")).toBeTruthy();
    expect(screen.getByTestId("refusal-detail").textContent).toContain("You packaged the artifact");
  });

  it("says a closed request (409) plainly", async () => {
    vi.spyOn(api.cab, "approve").mockRejectedValue(
      problem({ status: 409, code: "request-closed", title: "Closed", detail: "The request is approved already." }),
    );
    show("approve");
    await userEvent.click(screen.getByRole("button", { name: "Approve", hidden: true }));
    await waitFor(() => expect(screen.getByText("This request is closed; no further decision is possible")).toBeTruthy());
  });

  it("puts 400 field errors next to the condition they belong to", async () => {
    const conditional = vi.spyOn(api.cab, "conditional").mockRejectedValue(
      problem({
        status: 400,
        code: "validation-error",
        title: "The request is not valid",
        errors: [{ field: "conditions.min_soak_hours", rule: "stricter-than-policy", message: "Must exceed 72 h." }],
      }),
    );
    show("conditional");
    await userEvent.type(screen.getByLabelText("Minimum soak (hours)"), "1");
    await userEvent.selectOptions(screen.getByLabelText("Highest ring allowed"), "pilot");
    await userEvent.click(screen.getByRole("button", { name: "Approve with conditions", hidden: true }));
    await waitFor(() => expect(document.getElementById("f-conditions-min_soak_hours-error")?.textContent).toContain("Must exceed 72 h."));
    expect(screen.getByLabelText("Minimum soak (hours)").getAttribute("aria-invalid")).toBe("true");
    expect(conditional).toHaveBeenCalledWith("r1", { reason: "", expires_in_days: undefined, conditions: { max_ring: "pilot", min_soak_hours: 1 } });
  });

  it("requires a reason to reject, without asking the server", async () => {
    const reject = vi.spyOn(api.cab, "reject");
    show("reject");
    await userEvent.click(screen.getByRole("button", { name: "Reject", hidden: true }));
    expect(await screen.findByText(/A rejection needs a reason/)).toBeTruthy();
    expect(reject).not.toHaveBeenCalled();
  });
});
