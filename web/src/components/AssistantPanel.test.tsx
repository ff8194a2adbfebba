import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, type AssistantAnswer } from "../api/client";
import { ApiProblem } from "../api/problem";
import {
  type AssistantAction,
  AssistantPanel,
  cabAssistantActions,
  DRAFT_NOTICE,
  type DraftUse,
  evidenceAssistantActions,
  intentAssistantActions,
  rolloutAssistantActions,
} from "./AssistantPanel";

const answer = (over: Partial<AssistantAnswer> = {}): AssistantAnswer => ({
  interaction: "int-1",
  feature: "explain_risk",
  text: "The score is 30: medium.\n\nMost of it comes from the blast radius.",
  citations: [
    { type: "assessment", id: "a1", title: "Risk assessment of falcon", link: "/intents/i1" },
    { type: "ledger_event", id: "42", title: "Ledger event 42", link: "/ledger/42" },
  ],
  draft: {},
  provider: "offline",
  model: "templates-1",
  tokens_in: 120,
  tokens_out: 40,
  scrubbed: {},
  ...over,
});

const everything = [...intentAssistantActions("i1"), ...evidenceAssistantActions("p1"), ...rolloutAssistantActions("i1")];

function show(stream = true, actions: AssistantAction[] = everything, onUseDraft?: (d: DraftUse) => void) {
  render(
    <MemoryRouter>
      <AssistantPanel subject="this intent" actions={actions} stream={stream} onUseDraft={onUseDraft} />
    </MemoryRouter>,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("the assistant panel", () => {
  it("takes the page's subject and the actions that apply there", () => {
    expect(intentAssistantActions("i1").map((a) => [a.feature, a.body])).toEqual([
      ["explain-risk", { intent_id: "i1" }],
      ["draft-cab-note", { intent_id: "i1" }],
    ]);
    expect(evidenceAssistantActions("p1").map((a) => [a.label, a.body])).toEqual([["Summarise evidence", { pack_id: "p1" }]]);
    expect(rolloutAssistantActions("i1", "pilot").map((a) => [a.feature, a.body])).toEqual([
      ["explain-ring", { intent_id: "i1", ring: "pilot" }],
    ]);
    expect(cabAssistantActions({ assessment: "a1", evidence_pack: "p1" }).map((a) => [a.label, a.body])).toEqual([
      ["Explain risk", { assessment_id: "a1" }],
      ["Summarise evidence", { pack_id: "p1" }],
    ]);
    show(true, evidenceAssistantActions("p9"));
    const panel = screen.getByRole("complementary", { name: "Assistant · this intent" });
    expect(within(panel).getAllByRole("button").map((b) => b.textContent)).toEqual(["Summarise evidence"]);
  });

  it("streams an answer, then shows its citations as links", async () => {
    const stream = vi.spyOn(api.assistant, "stream").mockImplementation(async (_f, _b, onDelta) => {
      onDelta("The score ");
      onDelta("is 30");
      return answer();
    });
    show();
    const group = screen.getByRole("group", { name: "Ask the assistant" });
    expect(within(group).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "Explain risk",
      "Draft CAB note",
      "Summarise evidence",
      "Why did this ring stop?",
    ]);
    await userEvent.click(screen.getByRole("button", { name: "Explain risk" }));
    expect(stream).toHaveBeenCalledWith("explain-risk", { intent_id: "i1" }, expect.any(Function));
    const article = await screen.findByRole("article", { name: "Explain risk" });
    expect(article).toHaveTextContent("The score is 30: medium.");
    expect(article).toHaveTextContent("Most of it comes from the blast radius.");
    const sources = within(article).getByRole("list", { name: "Sources cited" });
    expect(within(sources).getByRole("link", { name: "Risk assessment of falcon" })).toHaveAttribute("href", "/intents/i1");
    expect(within(sources).getByRole("link", { name: "Ledger event 42" })).toHaveAttribute("href", "/ledger/42");
    expect(screen.queryByText(DRAFT_NOTICE)).toBeNull();
    // Nothing in the panel tells anyone to run a command.
    expect(document.body.textContent ?? "").not.toMatch(/\brun\b|command|fleetgate assist/i);
  });

  it("hands a CAB-note draft and its interaction to the page's form on “Use this draft”", async () => {
    vi.spyOn(api.assistant, "ask").mockResolvedValue(
      answer({ interaction: "int-7", feature: "draft_cab_note", text: "A draft note.", draft: { summary: "Falcon to Sales" } }),
    );
    const used = vi.fn();
    show(false, everything, used);
    await userEvent.click(screen.getByRole("button", { name: "Draft CAB note" }));
    await userEvent.click(await screen.findByRole("button", { name: "Use this draft" }));
    expect(used).toHaveBeenCalledWith({ interaction: "int-7", fields: { summary: "Falcon to Sales" } });
  });

  it("marks a CAB-note draft as the assistant's, for the person to edit and submit, and fills no form", async () => {
    vi.spyOn(api.assistant, "ask").mockResolvedValue(
      answer({ feature: "draft_cab_note", text: "A draft note.", draft: { summary: "Falcon 7.18 to Sales", risk: "Medium" } }),
    );
    show(false);
    await userEvent.click(screen.getByRole("button", { name: "Draft CAB note" }));
    const article = await screen.findByRole("article", { name: "Draft CAB note" });
    expect(within(article).getByRole("note")).toHaveTextContent("Drafted with the assistant; edit it and submit it as your own.");
    const draft = within(article).getByRole("region", { name: "Draft CAB note" });
    expect(draft).toHaveTextContent("Falcon 7.18 to Sales");
    expect(draft).toHaveTextContent("Medium");
    expect(screen.queryAllByRole("textbox")).toHaveLength(0);
    expect(screen.queryByRole("button", { name: "Use this draft" })).toBeNull(); // no form on this page
  });

  it("shows a refusal through the problem alert", async () => {
    vi.spyOn(api.assistant, "stream").mockRejectedValue(
      new ApiProblem({ type: "urn:x", title: "Not found", status: 404, code: "not-found", detail: "No rollout for this intent.", correlation_id: "c-9" }),
    );
    show();
    await userEvent.click(screen.getByRole("button", { name: "Why did this ring stop?" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The assistant could not answer “Why did this ring stop?”");
    expect(alert).toHaveTextContent("No rollout for this intent.");
    expect(alert).toHaveTextContent("c-9");
    expect(screen.getByRole("button", { name: "Explain risk" })).toBeEnabled();
  });
});
