import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { account } from "../api/account";
import { api } from "../api/client";
import { manifests } from "../api/manifest";
import { ApiProblem } from "../api/problem";
import { search } from "../api/search";
import { fieldWords } from "../pages/Apply";
import { formatInZone, TimeZoneContext, timeZones } from "../lib/time";
import { PasswordForm, TimeZoneForm } from "./AccountForms";
import { hitLink } from "./GlobalSearch";
import { Time } from "./Time";
import { TokenShownOnce } from "./Tokens";
import { renderApp, signedInAs } from "../test/app";

const AT = "2026-01-15T13:05:00Z";

function wrap(children: ReactNode, zone = "UTC") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <TimeZoneContext.Provider value={zone}>
        <MemoryRouter>{children}</MemoryRouter>
      </TimeZoneContext.Provider>
    </QueryClientProvider>,
  );
}

function problem(status: number, errors: { field: string; rule: string; message: string }[], extra: Record<string, unknown> = {}) {
  return new ApiProblem({ type: "urn:x", status, code: "validation-error", title: "Not valid", detail: "Fix the fields.", correlation_id: "c-1", errors, ...extra } as never);
}



afterEach(() => vi.restoreAllMocks());

describe("times in the person's zone", () => {
  it("formats in an IANA zone, across daylight saving, and falls back to UTC for an unknown zone", () => {
    expect(formatInZone(AT, "UTC")).toBe("2026-01-15 13:05 UTC");
    expect(formatInZone(AT, "Europe/Berlin")).toBe("2026-01-15 14:05 GMT+1");
    expect(formatInZone("2026-07-15T13:05:00Z", "Europe/Berlin")).toBe("2026-07-15 15:05 GMT+2");
    expect(formatInZone(AT, "Asia/Kolkata")).toBe("2026-01-15 18:35 GMT+5:30");
    expect(formatInZone(AT, "Not/AZone")).toBe("2026-01-15 13:05 UTC");
    expect(formatInZone(null, "Europe/Berlin")).toBe("—");
    expect(timeZones()[0]).toBe("UTC");
    expect(timeZones()).toContain("America/Sao_Paulo");
  });

  it("shows the local time, and UTC in a tooltip on focus and on hover that Escape dismisses", async () => {
    wrap(<Time value={AT} />, "America/New_York");
    const time = screen.getByText("2026-01-15 08:05 EST");
    expect(time.tagName).toBe("TIME");
    expect(time).toHaveAttribute("datetime", AT);
    const tip = screen.getByRole("tooltip", { hidden: true });
    expect(tip).toHaveTextContent("2026-01-15 13:05 UTC");
    expect(time).toHaveAttribute("aria-describedby", tip.id);
    expect(tip).not.toHaveClass("open");
    act(() => time.focus());
    expect(tip).toHaveClass("open");
    fireEvent.keyDown(time, { key: "Escape" });
    expect(tip).not.toHaveClass("open");
    act(() => time.blur());
    fireEvent.mouseEnter(time.parentElement!);
    expect(tip).toHaveClass("open");
    fireEvent.mouseLeave(time.parentElement!);
    expect(tip).not.toHaveClass("open");
  });

  it("keeps words such as '5 minutes ago' on screen and puts both times in the tooltip", () => {
    wrap(<Time value={AT}>5 minutes ago</Time>, "Europe/Berlin");
    expect(screen.getByText("5 minutes ago")).toHaveAttribute("datetime", AT);
    expect(screen.getByRole("tooltip", { hidden: true })).toHaveTextContent("2026-01-15 14:05 GMT+1 · 2026-01-15 13:05 UTC");
  });
});

describe("my account", () => {
  it("saves the zone picked, or this browser's", async () => {
    const save = vi.spyOn(account, "setTimeZone").mockResolvedValue({ time_zone: "Asia/Tokyo" });
    wrap(<TimeZoneForm current="UTC" />);
    await userEvent.selectOptions(screen.getByLabelText("Show times in"), "Asia/Tokyo");
    await userEvent.click(screen.getByRole("button", { name: "Save time zone" }));
    expect(save).toHaveBeenCalledWith("Asia/Tokyo");
    expect(await screen.findByText("Times are now shown in Asia/Tokyo.")).toBeInTheDocument();
  });

  it("shows a refused zone on the field", async () => {
    vi.spyOn(account, "setTimeZone").mockRejectedValue(problem(400, [{ field: "time_zone", rule: "iana-zone", message: "'X' is not an IANA time zone." }]));
    wrap(<TimeZoneForm current="UTC" />);
    await userEvent.click(screen.getByRole("button", { name: "Save time zone" }));
    expect(await screen.findByText("'X' is not an IANA time zone.")).toBeInTheDocument();
    expect(screen.getByLabelText("Show times in")).toHaveAttribute("aria-invalid", "true");
  });

  it("changes the password, states what happens to sessions and tokens, and puts the server's words on the field", async () => {
    const change = vi
      .spyOn(account, "changePassword")
      .mockRejectedValueOnce(problem(400, [{ field: "new_password", rule: "strength", message: "This password is too common." }]))
      .mockResolvedValueOnce({ other_sessions_signed_out: true, tokens_revoked: 2 });
    wrap(<PasswordForm />);
    expect(screen.getByText(/signs you out of every other browser/)).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText("Current password"), "old-password-123");
    await userEvent.type(screen.getByLabelText(/^New password \(/), "password1234");
    await userEvent.type(screen.getByLabelText("New password again"), "password1235");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(screen.getByText("The two new passwords differ; type the same one twice.")).toBeInTheDocument();
    expect(change).not.toHaveBeenCalled();
    await userEvent.clear(screen.getByLabelText("New password again"));
    await userEvent.type(screen.getByLabelText("New password again"), "password1234");
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText("This password is too common.")).toBeInTheDocument();
    await userEvent.click(screen.getByLabelText("Also revoke all my API tokens"));
    await userEvent.click(screen.getByRole("button", { name: "Change password" }));
    expect(await screen.findByText(/Password changed\. Your other sessions are signed out.*2 API token\(s\) revoked\./)).toBeInTheDocument();
    expect(change).toHaveBeenLastCalledWith({ current_password: "old-password-123", new_password: "password1234", revoke_tokens: true });
  });

  it("shows a new token's secret once, with a copy button", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    const dismiss = vi.fn();
    wrap(<TokenShownOnce token={{ id: 1, name: "ci", key_id: "k", username: "pat", created_at: AT, expires_at: AT, revoked_at: null, last_used_at: null, is_active: true, token: "fg_k_secret" }} onDismiss={dismiss} />);
    expect(screen.getByTestId("token-secret")).toHaveTextContent("fg_k_secret");
    await userEvent.click(screen.getByRole("button", { name: "Copy to clipboard" }));
    expect(writeText).toHaveBeenCalledWith("fg_k_secret");
    expect(await screen.findByText("Copied.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "I have stored it" }));
    expect(dismiss).toHaveBeenCalled();
  });

  it("creates, lists and revokes the person's own tokens on My account, times in their zone", async () => {
    signedInAs("auditor", { username: "pat", id: "7", boundary: "acme", zone: "Europe/Berlin" });
    vi.spyOn(api, "me").mockResolvedValue({ id: "7", username: "pat", kind: "user", time_zone: "Europe/Berlin", roles: [] } as never);
    const row = { id: 3, name: "laptop", key_id: "abc", username: "pat", created_at: AT, expires_at: AT, revoked_at: null, last_used_at: null, is_active: true };
    const mine = vi.spyOn(account, "myTokens").mockResolvedValue([row] as never);
    const create = vi.spyOn(api.tokens, "create").mockResolvedValue({ ...row, id: 4, name: "ci", token: "fg_x_once" } as never);
    const revoke = vi.spyOn(api.tokens, "revoke").mockResolvedValue({ ...row, is_active: false } as never);
    renderApp("/me");
    expect(await screen.findByRole("heading", { name: "My account" })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: /Your tokens/ }, { timeout: 5000 }); // 400+ zones to render first
    expect(within(table).getAllByText("2026-01-15 14:05 GMT+1").length).toBe(2);
    await userEvent.type(screen.getByLabelText("Name (where it will be used)"), "ci");
    await userEvent.click(screen.getByRole("button", { name: "Create token" }));
    expect(await screen.findByTestId("token-secret")).toHaveTextContent("fg_x_once");
    expect(create).toHaveBeenCalledWith({ name: "ci", days: 90 });
    await userEvent.click(screen.getByRole("button", { name: "Revoke token laptop" }));
    const dialog = screen.getByRole("dialog", { name: "Revoke token laptop?" });
    await userEvent.click(within(dialog).getByRole("button", { name: "Revoke token" }));
    await waitFor(() => expect(revoke).toHaveBeenCalledWith(3, "Revoked by its owner on My account"));
    expect(mine).toHaveBeenCalled();
  });
});

describe("global search", () => {
  beforeEach(() => {
    signedInAs("publisher", { username: "pat", id: "7", boundary: "acme" });
    vi.spyOn(api, "dashboard").mockReturnValue(new Promise(() => {}) as never);
  });

  it("links each kind of hit to its screen", () => {
    expect(hitLink("applications", "a1", "Paint")).toBe("/applications/a1");
    expect(hitLink("intents", "i1", "x")).toBe("/intents/i1");
    expect(hitLink("cab_requests", "c1", "x")).toBe("/cab/c1");
    expect(hitLink("components", "9", "zlib")).toBe("/components?name=zlib");
    expect(hitLink("ledger", "41", "intent.created")).toBe("/ledger/41");
  });

  it("is focused by '/', and lists the hits grouped by kind", async () => {
    const find = vi.spyOn(search, "find").mockResolvedValue({
      query: "fire",
      groups: [
        { kind: "applications", hits: [{ id: "a1", name: "Mozilla Firefox ESR", detail: "Mozilla" }], more: false },
        { kind: "intents", hits: [{ id: "i1", name: "firefox-128", detail: "Firefox (draft)" }], more: true },
        { kind: "ledger", hits: [], more: false },
      ],
    });
    renderApp("/");
    const box = await screen.findByLabelText("Find anything");
    fireEvent.keyDown(document.body, { key: "/" });
    expect(box).toHaveFocus();
    await userEvent.type(box, "fire");
    const apps = await screen.findByRole("region", { name: "Applications" });
    expect(within(apps).getByRole("link", { name: "Mozilla Firefox ESR" })).toHaveAttribute("href", "/applications/a1");
    const intents = screen.getByRole("region", { name: "Intents" });
    expect(within(intents).getByRole("link", { name: "firefox-128" })).toHaveAttribute("href", "/intents/i1");
    expect(within(intents).getByText(/More match/)).toBeInTheDocument();
    expect(screen.queryByRole("region", { name: "Ledger events" })).toBeNull();
    expect(find).toHaveBeenCalledWith("fire");
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("region", { name: "Applications" })).toBeNull();
  });
});

describe("applying a manifest", () => {
  beforeEach(() => signedInAs("publisher", { username: "pat", id: "7", boundary: "acme" }));

  it("names a problem's document and field in words", () => {
    expect(fieldWords("documents[1].ring_plan[0].target_group")).toBe("Document 2, ring_plan[0].target_group");
    expect(fieldWords("manifest")).toBe("The file");
  });

  it("checks first, shows field-level changes, then applies what was checked", async () => {
    const doc = {
      document: 1,
      line: 1,
      name: "ff",
      action: "update" as const,
      changes: [{ field: "ring_plan[1].device_count", before: 80, after: 90 }],
      diff: "",
      intent_id: "i1",
    };
    const run = vi
      .spyOn(manifests, "apply")
      .mockResolvedValueOnce({ dry_run: true, documents: [doc] })
      .mockResolvedValueOnce({ dry_run: false, documents: [doc] });
    renderApp("/intents/apply");
    const text = await screen.findByLabelText(/^Manifest/);
    expect(screen.getByRole("button", { name: "Apply" })).toBeDisabled();
    fireEvent.change(text, { target: { value: "name: ff\n" } });
    await userEvent.click(screen.getByRole("button", { name: "Check what would change" }));
    const changes = await screen.findByRole("table", { name: "Field changes of ff" });
    expect(within(changes).getByRole("rowheader", { name: "ring_plan[1].device_count" })).toBeInTheDocument();
    expect(within(changes).getByText("90")).toBeInTheDocument();
    expect(screen.getByText(/1 of 1 intent\(s\) would be created or changed/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(await screen.findByText(/Applied 1 document\(s\)/)).toBeInTheDocument();
    expect(run).toHaveBeenNthCalledWith(1, "name: ff\n", true);
    expect(run).toHaveBeenNthCalledWith(2, "name: ff\n", false);
    expect(screen.getByRole("link", { name: "ff" })).toHaveAttribute("href", "/intents/i1");
  });

  it("lists every problem with its line, and applying waits for a clean check", async () => {
    vi.spyOn(manifests, "apply").mockRejectedValue(
      problem(400, [{ field: "documents[0].ring_plan[0].target_group", rule: "required", message: "Name the device group this ring targets." }], {
        lines: { "documents[0].ring_plan[0].target_group": 7 },
      }),
    );
    renderApp("/intents/apply");
    fireEvent.change(await screen.findByLabelText(/^Manifest/), { target: { value: "x: 1\n" } });
    await userEvent.click(screen.getByRole("button", { name: "Check what would change" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Line 7: Document 1, ring_plan[0].target_group: Name the device group this ring targets.");
    expect(screen.getByRole("button", { name: "Apply" })).toBeDisabled();
  });

  it("is for Publishers", async () => {
    vi.restoreAllMocks();
    signedInAs("auditor", { username: "pat", id: "7", boundary: "acme" });
    renderApp("/intents/apply");
    expect(await screen.findByRole("heading", { name: "Not available to you" })).toBeInTheDocument();
  });
});
