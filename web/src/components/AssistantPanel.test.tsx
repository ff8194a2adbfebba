import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, type AssistantAnswer } from "../api/client";
import { ApiProblem } from "../api/problem";
import { AssistantPanel, DRAFT_NOTICE, intentAssistantActions } from "./AssistantPanel";

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

function show(stream = true) {
  render(
    <MemoryRouter>
      <AssistantPanel actions={intentAssistantActions("i1")} stream={stream} />
    </MemoryRouter>,
  );
}

afterEach(() => vi.restoreAllMocks());

describe("the assistant panel", () => {
  it("offers the four intent features and streams an answer, then shows its citations as links", async () => {
    const stream = vi.spyOn(api.assistant, "stream").mockImplementation(async (_f, _b, onDelta) => {
      onDelta("The score ");
      onDelta("is 30");
      return answer();
    });
    show();
    const group = screen.getByRole("group", { name: "Ask the assistant" });
    expect(within(group).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "Explain risk",
      "Summarise evidence",
      "Draft CAB note",
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
