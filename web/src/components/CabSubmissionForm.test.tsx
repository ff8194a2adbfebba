import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, type Me } from "../api/client";
import { ApiProblem } from "../api/problem";
import type { DraftUse } from "./AssistantPanel";
import { CabSubmissionForm, mayWriteSubmission } from "./CabSubmissionForm";

const DRAFT: DraftUse = {
  interaction: "int-7",
  fields: {
    summary: "Deploy Falcon 7.18 to acme/finance.",
    justification: "Two vendor advisories fixed.",
    impact: "Risk 62/100; service restart.",
    test_summary: "Eight lab devices passed.",
    backout_plan: "Reinstall 7.17 through supersedence.",
  },
};

function show(draft: DraftUse | null = DRAFT) {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <CabSubmissionForm intentId="i1" draft={draft} />
    </QueryClientProvider>,
  );
}

const saved = { id: "s1", intent: "i1", version: 2, created_by: "packager", created_at: "", ...DRAFT.fields };

afterEach(() => vi.restoreAllMocks());

describe("the CAB submission form", () => {
  it("is filled from the assistant's draft and records the interaction it came from", async () => {
    const create = vi.spyOn(api.cabSubmissions, "create").mockResolvedValue({ ...saved, drafted_with: "int-7" } as never);
    show();
    expect(screen.getByRole("note")).toHaveTextContent("Drafted with the assistant");
    expect(screen.getByLabelText("Summary")).toHaveValue("Deploy Falcon 7.18 to acme/finance.");
    expect(screen.getByLabelText("Summary")).toHaveFocus();
    await userEvent.type(screen.getByLabelText("Impact"), " Edited.");
    await userEvent.click(screen.getByRole("button", { name: "Save CAB submission" }));
    expect(create).toHaveBeenCalledWith({
      intent: "i1",
      ...DRAFT.fields,
      impact: "Risk 62/100; service restart. Edited.",
      drafted_with: "int-7",
    });
    expect(await screen.findByRole("status")).toHaveTextContent("CAB submission v2 saved, recorded as drafted with the assistant.");
    expect(screen.getByLabelText("Summary")).toHaveValue("");
  });

  it("written without the draft, records none; a refusal names the field", async () => {
    const create = vi.spyOn(api.cabSubmissions, "create").mockRejectedValue(
      new ApiProblem({
        type: "urn:x",
        title: "The request is not valid",
        status: 400,
        code: "validation-error",
        detail: "The draft named in drafted_with cannot be used for this submission.",
        errors: [{ field: "summary", rule: "required", message: "Write the summary (at least 10 characters)." }],
        correlation_id: "c-1",
      }),
    );
    show();
    await userEvent.click(screen.getByRole("button", { name: "Write without the draft" }));
    expect(screen.queryByRole("note")).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Save CAB submission" }));
    expect(create).toHaveBeenCalledWith(expect.objectContaining({ summary: "", drafted_with: null }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The CAB submission was not saved");
    expect(screen.getByText("Write the summary (at least 10 characters).")).toBeInTheDocument();
  });

  it("is for a Packaging Engineer over the intent's scope while the change is on its way", () => {
    const me = (role: string, boundary = "acme") =>
      ({ username: "u", roles: [{ role, boundary, business_units: ["*"] }] }) as unknown as Me;
    const intent = { state: "awaiting_cab", target_boundary: "acme", target_business_unit: "finance" };
    expect(mayWriteSubmission(me("packaging_engineer"), intent)).toBe(true);
    expect(mayWriteSubmission(me("packaging_engineer", "globex"), intent)).toBe(false);
    expect(mayWriteSubmission(me("publisher"), intent)).toBe(false);
    expect(mayWriteSubmission(me("packaging_engineer"), { ...intent, state: "completed" })).toBe(false);
  });
});
