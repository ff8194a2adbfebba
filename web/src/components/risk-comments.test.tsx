import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Intent, Me } from "../api/client";
import { comments } from "../api/comments";
import { ApiProblem } from "../api/problem";
import { risk } from "../api/risk";
import { optionWords, optionsInWords, rubricReviewBarrier } from "../lib/risk";
import { RiskRubrics } from "../pages/RiskRubrics";
import { CabComments, CommentBody, matchPeople, mentionAt } from "./CabComments";
import { RiskAssessForm, RiskActions, mayAssess } from "./RiskAssess";

let USER: Me;
vi.mock("../auth/session", () => ({ useUser: () => USER }));

const me = (username: string, ...roles: Me["roles"][number]["role"][]): Me =>
  ({ id: "1", username, kind: "user", time_zone: "UTC", roles: roles.map((role) => ({ role, boundary: "acme", business_units: ["*"] })) }) as Me;

function wrap(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>{node}</MemoryRouter>
    </QueryClientProvider>,
  );
}

const INTENT = { id: "i1", target_boundary: "acme", target_business_unit: "finance", state: "draft" } as Intent;
const PREVIEW = {
  rubric_version: "1.0",
  artifact: "a1",
  privileged_tooling: false,
  derived: {
    sbom_vulnerability: { option: "low_medium_only", value: "0.3", source: "derived", rationale: "1 Low/Medium finding(s)", weight: "15" },
  },
  declared: {
    privilege_impact: { weight: "20", options: { admin_or_service_elevated: "1.0", user_context: "0.2" } },
  },
};
const problem = (errors: { field: string; rule: string; message: string }[]) =>
  new ApiProblem({ type: "urn:x", title: "The request is not valid", status: 400, code: "validation-error", detail: "Fix the listed fields.", errors, correlation_id: "c" });

beforeEach(() => {
  USER = me("packager", "packaging_engineer");
});
afterEach(() => vi.restoreAllMocks());

describe("risk in words", () => {
  it("says every option code of rubric 1.0 in words and humanises unknown ones", () => {
    expect(optionWords("driver_kernel_or_system_extension")).toBe("Installs a driver, kernel or system extension");
    expect(optionWords("a_new_code")).not.toContain("_");
    expect(optionsInWords({ b: "0.5", a: "0.1", c: "0.5" }).map(([code]) => code)).toEqual(["a", "b", "c"]);
  });

  it("says why someone may not review a rubric version", () => {
    expect(rubricReviewBarrier(me("sec", "security_reviewer"), "sec")).toMatch(/Only a CAB Approver/);
    expect(rubricReviewBarrier(me("cab", "cab_approver"), "cab")).toMatch(/separation of duties/);
    expect(rubricReviewBarrier(me("cab", "cab_approver"), "sec")).toBeNull();
  });

  it("lets packagers and security reviewers in scope assess", () => {
    expect(mayAssess(me("p", "packaging_engineer"), INTENT)).toBe(true);
    expect(mayAssess(me("x", "publisher", "cab_approver"), INTENT)).toBe(false);
    const outside = { ...me("p", "packaging_engineer"), roles: [{ role: "packaging_engineer", boundary: "globex", business_units: ["*"] }] } as Me;
    expect(mayAssess(outside, INTENT)).toBe(false);
  });
});

describe("the assess form", () => {
  it("shows derived factors read-only with their source, declared ones as options in words, and sends the codes", async () => {
    vi.spyOn(risk, "preview").mockResolvedValue(PREVIEW as never);
    const assess = vi.spyOn(risk, "assess").mockResolvedValue({ id: "r1", score: 14 } as never);
    const done = vi.fn();
    wrap(<RiskAssessForm intent={INTENT} onDone={done} />);
    const derived = await screen.findByRole("table", { name: "Derived factors" });
    expect(within(derived).getByText("Only low or medium vulnerabilities")).toBeInTheDocument();
    expect(within(derived).getByText(/vulnerability scan findings/)).toBeInTheDocument();
    const group = screen.getByRole("group", { name: /Privilege impact/ });
    const radios = within(group).getAllByRole("radio");
    expect(radios.map((r) => r.closest("label")?.textContent?.trim())).toEqual([
      "Runs only as the signed-in user (0.2)",
      "Runs with admin rights or as an elevated service (1.0)",
    ]);
    await userEvent.click(within(group).getByLabelText(/Runs only as the signed-in user/));
    await userEvent.type(within(group).getByLabelText(/Why this option/), "Runs as the user only.");
    await userEvent.click(screen.getByRole("button", { name: "Record the assessment" }));
    expect(assess).toHaveBeenCalledWith("i1", { privilege_impact: { option: "user_context", justification: "Runs as the user only." } }, "a1");
    expect(done).toHaveBeenCalled();
  });

  it("puts the server's refusal next to the factor it names", async () => {
    vi.spyOn(risk, "preview").mockResolvedValue(PREVIEW as never);
    vi.spyOn(risk, "assess").mockRejectedValue(
      problem([
        { field: "declared.privilege_impact", rule: "required", message: "Choose one of: user_context." },
        { field: "declared.privilege_impact.justification", rule: "required", message: "Justify the choice (at least 10 characters)." },
      ]),
    );
    wrap(<RiskAssessForm intent={INTENT} onDone={vi.fn()} />);
    await userEvent.click(await screen.findByRole("button", { name: "Record the assessment" }));
    const why = await screen.findByLabelText(/Why this option/);
    expect(why).toHaveAttribute("aria-invalid", "true");
    expect(why).toHaveAccessibleDescription(/Justify the choice/);
    expect(screen.getByRole("group", { name: /Privilege impact/ })).toHaveTextContent("Choose one of");
  });

  it("a role that may not assess sees why, not the button; replay is offered to those who may", async () => {
    USER = me("pub", "publisher", "cab_approver");
    const { api } = await import("../api/client");
    vi.spyOn(api.intents, "get").mockResolvedValue(INTENT as never);
    const replay = vi.spyOn(risk, "replay").mockResolvedValue({ assessment: "r1", score: 14, raw: "13.5", matches: true } as never);
    wrap(<RiskActions intentId="i1" latest={{ id: "r1" } as never} />);
    expect(await screen.findByTestId("assess-why-not")).toHaveTextContent("Packaging Engineer or Security Reviewer");
    expect(screen.queryByRole("button", { name: /Assess/ })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Replay this assessment" }));
    expect(replay).toHaveBeenCalledWith("r1");
    expect(await screen.findByRole("status")).toHaveTextContent("score 14 (raw 13.5), the same as recorded");
  });
});

describe("rubric versions", () => {
  const MODELS = [
    { version: "1.1", state: "proposed", document: { version: "1.1", factors: {}, thresholds: { automated_max: 45 } }, sha256: "b", reason: "tighter", proposed_by: "sec", approved_by: null, loaded_at: "2026-01-02T00:00:00Z" },
    {
      version: "1.0",
      state: "active",
      document: { version: "1.0", thresholds: { automated_max: 50 }, factors: { history: { weight: 10, derived: true, options: { no_history: 0.5 } } } },
      sha256: "a",
      reason: "",
      proposed_by: null,
      approved_by: null,
      loaded_at: "2026-01-01T00:00:00Z",
    },
  ];

  it("a CAB approver approves a proposal with a note; the proposer is told why not", async () => {
    USER = me("cab", "cab_approver");
    vi.spyOn(risk, "models").mockResolvedValue(MODELS as never);
    const approve = vi.spyOn(risk, "approve").mockResolvedValue({ ...MODELS[0], state: "parallel" } as never);
    wrap(<RiskRubrics />);
    expect(await screen.findByText("No earlier rollouts yet (0.5)")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Propose a new version…" })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Approve v1.1…" }));
    await userEvent.type(screen.getByLabelText(/Note \(recorded in the ledger\)/), "reviewed");
    await userEvent.click(screen.getByRole("button", { name: "Approve for parallel scoring" }));
    expect(approve).toHaveBeenCalledWith("1.1", "reviewed");
    expect(await screen.findByText("Rubric v1.1 is now: Scored in parallel.")).toBeInTheDocument();
  });

  it("a security reviewer proposes from the active version; a bad document's problems are listed", async () => {
    USER = me("sec", "security_reviewer");
    vi.spyOn(risk, "models").mockResolvedValue(MODELS as never);
    const propose = vi.spyOn(risk, "propose").mockRejectedValue(problem([{ field: "factors", rule: "weights-sum-100", message: "Weights must add up to 100." }]));
    wrap(<RiskRubrics />);
    expect(await screen.findByText("Only a CAB Approver approves, activates or rejects a rubric version.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Approve v1.1/ })).not.toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Propose a new version…" }));
    expect((screen.getByLabelText("Rubric document (JSON)") as HTMLTextAreaElement).value).toContain('"version": "1.1"');
    await userEvent.type(screen.getByLabelText(/Why change the rubric/), "weights");
    await userEvent.click(screen.getByRole("button", { name: "Propose this version" }));
    expect(propose).toHaveBeenCalledWith(expect.objectContaining({ version: "1.1" }), "weights");
    expect(await screen.findByRole("list", { name: "Problems in the rubric document" })).toHaveTextContent("Weights must add up to 100.");
  });
});

describe("the CAB discussion", () => {
  const PEOPLE = [
    { username: "cab", name: "Casey Approver", roles: ["CAB Approver"] },
    { username: "cab2", name: "cab2", roles: ["CAB Approver"] },
    { username: "ops", name: "ops", roles: ["Endpoint Ops"] },
  ];

  it("finds the @word at the caret and matches people by name", () => {
    expect(mentionAt("hello @ca", 9)).toEqual({ query: "ca", start: 6 });
    expect(mentionAt("mail a@b", 8)).toBeNull();
    expect(matchPeople(PEOPLE, "casey").map((p) => p.username)).toEqual(["cab"]);
  });

  it("marks only resolved mentions", () => {
    render(<CommentBody body="@cab see @nobody, thanks" mentions={["cab"]} />);
    expect(screen.getByText("@cab")).toHaveClass("mention");
    expect(screen.queryByText("@nobody")).not.toBeInTheDocument();
  });

  it("lists the thread and picks a mention with the keyboard, then posts", async () => {
    USER = me("pub", "publisher");
    vi.spyOn(comments, "list").mockResolvedValue({ results: [{ id: "c1", request: "r1", author: "cab", body: "@pub rollback?", mentions: ["pub"], created_at: "2026-01-01T00:00:00Z" }] } as never);
    vi.spyOn(comments, "mentionable").mockResolvedValue(PEOPLE as never);
    const post = vi.spyOn(comments, "post").mockResolvedValue({ id: "c2", mentions: ["cab2"] } as never);
    wrap(<CabComments requestId="r1" requestState="open" />);
    expect(await screen.findByText("rollback?", { exact: false })).toBeInTheDocument();
    const box = screen.getByLabelText("Add a comment");
    await userEvent.type(box, "Tested. @ca");
    const list = await screen.findByRole("listbox", { name: "People to mention" });
    expect(within(list).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "@cab Casey Approver CAB Approver",
      "@cab2 CAB Approver",
    ]);
    expect(box).toHaveAttribute("aria-activedescendant", within(list).getAllByRole("option")[0]?.id);
    await userEvent.keyboard("{ArrowDown}");
    expect(within(list).getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    await userEvent.keyboard("{Enter}");
    expect(box).toHaveValue("Tested. @cab2 ");
    expect(list).not.toBeVisible();
    await userEvent.type(box, "@o{Escape}");
    expect(screen.getByRole("listbox", { hidden: true })).not.toBeVisible();
    await userEvent.click(screen.getByRole("button", { name: "Post comment" }));
    expect(post).toHaveBeenCalledWith("r1", "Tested. @cab2 @o");
    expect(await screen.findByText("Comment posted; @cab2 will be notified.")).toBeInTheDocument();
  });

  it("shows a refused mention next to the text box", async () => {
    vi.spyOn(comments, "list").mockResolvedValue({ results: [] } as never);
    vi.spyOn(comments, "mentionable").mockResolvedValue(PEOPLE as never);
    vi.spyOn(comments, "post").mockRejectedValue(problem([{ field: "body", rule: "unknown-mention", message: "@zed is not someone who can read this request." }]));
    wrap(<CabComments requestId="r1" requestState="open" />);
    expect(await screen.findByText("No comment yet.")).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Add a comment"), "@zed{Escape} hi");
    await userEvent.click(screen.getByRole("button", { name: "Post comment" }));
    expect(await screen.findByLabelText("Add a comment")).toHaveAccessibleDescription(/@zed is not someone/);
  });

  it("auditors read only; a closed request's thread takes no comment", async () => {
    vi.spyOn(comments, "list").mockResolvedValue({ results: [] } as never);
    USER = me("aud", "auditor");
    const { unmount } = wrap(<CabComments requestId="r1" requestState="open" />);
    expect(await screen.findByText(/Auditors read the discussion/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Add a comment")).not.toBeInTheDocument();
    unmount();
    USER = me("pub", "publisher");
    wrap(<CabComments requestId="r1" requestState="rejected" />);
    expect(await screen.findByText(/its discussion is closed/)).toBeInTheDocument();
  });
});
