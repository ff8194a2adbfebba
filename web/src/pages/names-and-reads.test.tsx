import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, type LedgerEvent, type WebhookTarget } from "../api/client";
import { reads } from "../api/reads";
import { SubjectLink } from "../components/SubjectLink";
import { subjectHref, subjectLabel, versionHref } from "../lib/subjects";
import { renderApp, signedInAs } from "../test/app";



const INTENT_ID = "6f1c2a9e-0b7d-4c3e-9a51-2d8e4f6a7b10";

const event = (over: Partial<LedgerEvent>): LedgerEvent => ({
  sequence: 41,
  occurred_at: "2026-12-02T10:00:00Z",
  actor_kind: "user",
  actor_id: "3",
  actor_name: "publisher",
  actor_roles: ["publisher"],
  action: "intent.submitted",
  severity: "info",
  subject_type: "intent",
  subject_id: INTENT_ID,
  subject_name: "firefox-128-6-finance",
  before: null,
  after: null,
  reason: "",
  correlation_id: "c-41",
  prev_hash: "0".repeat(64),
  hash: "1".repeat(64),
  ...over,
});

beforeEach(() => {
  vi.spyOn(reads.notifications, "unreadCount").mockResolvedValue({ unread: 0 });
  vi.spyOn(api.notifications, "list").mockResolvedValue({ results: [], next: null, previous: null } as never);
});

describe("one link builder for every subject", () => {
  it("maps subject types to their screens, and names a subject by its name", () => {
    expect(subjectHref("intent", INTENT_ID)).toBe(`/intents/${INTENT_ID}`);
    expect(subjectHref("webhook_target", "7")).toBe("/webhooks/7");
    expect(subjectHref("exception", "e1")).toBe("/exceptions");
    expect(subjectHref("sign_in", "9")).toBeNull();
    expect(versionHref("app1", "ver1")).toBe("/applications/app1#v-ver1");
    expect(subjectLabel("intent", INTENT_ID, "firefox-128-6-finance")).toBe("firefox-128-6-finance");
    expect(subjectLabel("ledger_checkpoint", INTENT_ID, null)).toBe("ledger checkpoint 6f1c2a9e…");
  });

  it("renders a link with the name, or the name alone when there is no screen", () => {
    render(
      <MemoryRouter>
        <SubjectLink type="intent" id={INTENT_ID} name="firefox-128-6-finance" showType />
        <SubjectLink type="sign_in" id="9" name={null} />
      </MemoryRouter>,
    );
    expect(screen.getByRole("link", { name: "firefox-128-6-finance" })).toHaveAttribute("href", `/intents/${INTENT_ID}`);
    expect(screen.getByText("Intent")).toBeInTheDocument();
    expect(screen.getByText("sign in 9")).toBeInTheDocument();
    expect(screen.getAllByRole("link")).toHaveLength(1);
  });
});

describe("the ledger and the dashboard name their subjects", () => {
  it("the ledger lists each subject by name, linked, never by its id", async () => {
    signedInAs("auditor");
    vi.spyOn(api.ledger, "list").mockResolvedValue({
      results: [event({}), event({ sequence: 40, subject_type: "webhook_target", subject_id: "7", subject_name: "siem", action: "webhook_target.updated" })],
      next: null,
      previous: null,
    } as never);
    renderApp("/ledger");
    const table = await screen.findByRole("table", { name: "Ledger events, newest first" }, { timeout: 5000 });
    expect(within(table).getByRole("link", { name: "firefox-128-6-finance" })).toHaveAttribute("href", `/intents/${INTENT_ID}`);
    expect(within(table).getByRole("link", { name: "siem" })).toHaveAttribute("href", "/webhooks/7");
    const subjects = within(table).getAllByRole("row").map((r) => r.querySelectorAll("td")[3]?.textContent ?? "");
    expect(subjects.join(" ")).not.toContain(INTENT_ID.slice(0, 8));
  });

  it("the dashboard's recent events come from the ledger with names", async () => {
    signedInAs("publisher");
    vi.spyOn(api, "dashboard").mockResolvedValue({ intents_by_state: {}, in_progress: [], awaiting_my_action: [], recent_events: [] } as never);
    vi.spyOn(api.rollouts, "list").mockResolvedValue({ results: [], next: null, previous: null } as never);
    const ledger = vi.spyOn(api.ledger, "list").mockResolvedValue({ results: [event({})], next: null, previous: null } as never);
    renderApp("/");
    const recent = await screen.findByRole("table", { name: "The latest ledger events" }, { timeout: 5000 });
    expect(within(recent).getByRole("link", { name: "firefox-128-6-finance" })).toHaveAttribute("href", `/intents/${INTENT_ID}`);
    expect(ledger).toHaveBeenCalledWith({ page_size: 10 });
  });
});

const target: WebhookTarget = {
  id: 7,
  name: "siem",
  url: "https://siem.example.com/in",
  events: ["breakglass.used"],
  active: true,
  created_by: "admin",
  created_at: "2026-12-01T10:00:00Z",
};

describe("webhooks: edit and send test", () => {
  beforeEach(() => {
    vi.spyOn(api.webhooks, "list").mockResolvedValue([target]);
  });

  it("a Platform Admin edits name, URL and events (no secret), then sends a test", async () => {
    signedInAs("platform_admin", { username: "admin" });
    const update = vi.spyOn(reads.webhooks, "update").mockResolvedValue({ ...target, url: "https://siem.example.com/v2", events: [] });
    const sendTest = vi.spyOn(reads.webhooks, "sendTest").mockResolvedValue({ id: 1, notification: 1, event: "webhook.test", status: "pending" } as never);
    renderApp("/webhooks");
    await userEvent.click(await screen.findByRole("button", { name: "Edit siem" }, { timeout: 5000 }));
    const form = screen.getByRole("form", { name: "Edit “siem”" });
    expect(within(form).getByRole("heading", { name: "Edit “siem”" })).toHaveFocus();
    expect(within(form).queryByLabelText("Signing secret (optional)")).toBeNull();
    expect(screen.queryByRole("form", { name: "Add a webhook" })).toBeNull();
    const url = within(form).getByLabelText("URL");
    await userEvent.clear(url);
    await userEvent.type(url, "https://siem.example.com/v2");
    await userEvent.click(within(form).getByLabelText("Break-glass is used"));
    await userEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(update).toHaveBeenCalledWith(7, { name: "siem", url: "https://siem.example.com/v2", events: [] }));
    expect(await screen.findByText(/“siem” saved: it now listens to every event at https:\/\/siem\.example\.com\/v2\./)).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Add a webhook" })).toBeInTheDocument();

    await userEvent.click(screen.getByRole("button", { name: "Send test to siem" }));
    await waitFor(() => expect(sendTest).toHaveBeenCalledWith(7));
    const sent = await screen.findByText(/A signed test delivery to “siem” is on its way\./);
    expect(within(sent).getByRole("link", { name: "See how it went in its delivery log" })).toHaveAttribute("href", "/webhooks/7");
  });

  it("an Auditor is offered neither edit nor test", async () => {
    signedInAs("auditor");
    renderApp("/webhooks");
    expect(await screen.findByRole("rowheader", { name: "siem" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit|Send test/ })).toBeNull();
  });

  it("the delivery log offers a test send to a Platform Admin", async () => {
    signedInAs("platform_admin", { username: "admin" });
    vi.spyOn(api.webhooks, "deliveries").mockResolvedValue([]);
    const sendTest = vi.spyOn(reads.webhooks, "sendTest").mockResolvedValue({ id: 1, notification: 1, event: "webhook.test", status: "pending" } as never);
    renderApp("/webhooks/7");
    await userEvent.click(await screen.findByRole("button", { name: "Send a test delivery" }));
    await waitFor(() => expect(sendTest).toHaveBeenCalledWith(7));
    expect(await screen.findByText(/A signed test delivery is queued/)).toBeInTheDocument();
  });
});
