import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../api/client";
import { ApiProblem } from "../api/problem";
import { type RiskModel, risk } from "../api/risk";
import { RiskRubrics } from "./RiskRubrics";

let USER: Me;
vi.mock("../auth/session", () => ({ useUser: () => USER }));
afterEach(() => vi.restoreAllMocks());

const me = (username: string, ...roles: Me["roles"][number]["role"][]): Me =>
  ({ id: "1", username, kind: "user", time_zone: "UTC", roles: roles.map((role) => ({ role, boundary: "acme", business_units: ["*"] })) }) as Me;

const ACTIVE = {
  version: "1.0",
  state: "active",
  document: { version: "1.0", thresholds: { automated_max: 50 }, factors: {} },
  sha256: "a",
  reason: "",
  proposed_by: null,
  approved_by: null,
  rejected_by: null,
  rejected_at: null,
  rejection_reason: "",
  loaded_at: "2026-01-01T00:00:00Z",
} as unknown as RiskModel;
const PROPOSED = { ...ACTIVE, version: "1.1", state: "proposed", reason: "tighter", proposed_by: "sec", loaded_at: "2026-01-02T00:00:00Z" } as RiskModel;

function show(models: RiskModel[]) {
  vi.spyOn(risk, "models").mockResolvedValue(models as never);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <RiskRubrics />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const row = async (version: string) => (await screen.findByText(`v${version}`, { selector: "th" })).closest("tr") as HTMLElement;

describe("rejecting a rubric version", () => {
  it("a CAB Approver rejects a proposal; the dialog asks for the reason first", async () => {
    USER = me("cab", "cab_approver");
    const reject = vi.spyOn(risk, "reject").mockResolvedValue({ ...PROPOSED, state: "rejected" } as never);
    show([PROPOSED, ACTIVE]);
    await userEvent.click(within(await row("1.1")).getByRole("button", { name: "Reject v1.1…" }));
    const dialog = screen.getByRole("dialog", { name: "Reject rubric v1.1?" });
    expect(dialog).toHaveTextContent("is never scored; the active version stays");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reject this version" }));
    const why = within(dialog).getByLabelText(/Why is it rejected\?/);
    expect(why).toHaveAttribute("aria-invalid", "true");
    expect(why).toHaveAccessibleDescription(/Give a reason/);
    expect(reject).not.toHaveBeenCalled();
    await userEvent.type(why, "The threshold is right as it is.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Reject this version" }));
    expect(reject).toHaveBeenCalledWith("1.1", "The threshold is right as it is.");
    expect(await screen.findByRole("status")).toHaveTextContent("Rubric v1.1 is now: Rejected.");
  });

  it("offers Reject during parallel scoring too, and shows a refusal from the server", async () => {
    USER = me("cab", "cab_approver");
    const refused = new ApiProblem({ type: "urn:x", title: "Transition not allowed from the current state", status: 409, code: "invalid-transition", detail: "Rubric 1.1 is rejected; reject needs proposed or parallel.", correlation_id: "c" });
    vi.spyOn(risk, "reject").mockRejectedValue(refused);
    show([{ ...PROPOSED, state: "parallel", approved_by: "cab2" } as RiskModel, ACTIVE]);
    const r = await row("1.1");
    expect(within(r).getByRole("button", { name: "Activate v1.1…" })).toBeInTheDocument();
    await userEvent.click(within(r).getByRole("button", { name: "Reject v1.1…" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("stops being scored in parallel");
    await userEvent.type(screen.getByLabelText(/Why is it rejected\?/), "Parallel scores too high.");
    await userEvent.click(screen.getByRole("button", { name: "Reject this version" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("reject needs proposed or parallel");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("the proposer sees why not (separation of duties) before clicking, and no Reject button", async () => {
    USER = me("sec", "security_reviewer", "cab_approver");
    show([PROPOSED, ACTIVE]);
    const r = await row("1.1");
    expect(r).toHaveTextContent("You proposed this version, so another CAB Approver reviews it (separation of duties).");
    expect(within(r).queryByRole("button", { name: /Reject|Approve/ })).not.toBeInTheDocument();
  });

  it.each([["security_reviewer"], ["auditor"], ["platform_admin"]] as const)("a %s sees no Reject button", async (role) => {
    USER = me("someone", role);
    show([PROPOSED, ACTIVE]);
    const r = await row("1.1");
    expect(r).toHaveTextContent("Only a CAB Approver approves, activates or rejects a rubric version.");
    expect(screen.queryByRole("button", { name: /Reject/ })).not.toBeInTheDocument();
  });

  it("a rejected version says who rejected it and why, with no review buttons", async () => {
    USER = me("cab", "cab_approver");
    show([{ ...PROPOSED, state: "rejected", rejected_by: "cab2", rejection_reason: "Not needed." } as RiskModel, ACTIVE]);
    const r = await row("1.1");
    expect(r).toHaveTextContent("Rejected by cab2: Not needed.");
    expect(within(r).queryByRole("button", { name: /Reject|Approve|Activate/ })).not.toBeInTheDocument();
  });
});
