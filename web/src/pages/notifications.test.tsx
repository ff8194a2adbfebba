import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { api, type Notification, type WebhookDelivery, type WebhookTarget } from "../api/client";
import { ApiProblem } from "../api/problem";
import { reads } from "../api/reads";
import {
  deliveryStatusWords,
  eventWords,
  notificationSubject,
  relativeTime,
  responseWords,
  targetEventsWords,
} from "../lib/notifications";
import { renderApp, signedInAs } from "../test/app";

const NOW = Date.parse("2026-12-02T10:00:00Z");
const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();



const cabOpened: Notification = {
  id: 1,
  event: "cab_request.opened",
  subject_type: "cab_request",
  subject_id: "2383d050-e446",
  payload: { intent: "falcon-7-18-sales", application: "CrowdStrike Falcon Sensor", version: "7.18.0", score: 30 },
  recipients: ["cab"],
  created_at: ago(90),
  read: false,
};
const breakGlass: Notification = {
  id: 2,
  event: "breakglass.used",
  subject_type: "break_glass",
  subject_id: "bg-1",
  payload: { intent: "chrome-131-engineering", priority: "P1", confirmed_by: "cab" },
  recipients: ["cab"],
  created_at: ago(5),
  read: false,
};

describe("notifications and deliveries in words", () => {
  it("names events, subjects and outcomes, never ids or raw errors", () => {
    expect(eventWords("cab_request.opened")).toBe("CAB request opened");
    expect(eventWords("something.else_happened")).toBe("Something else happened");
    expect(notificationSubject(cabOpened)).toEqual({ label: "CAB request for falcon-7-18-sales", to: "/cab/2383d050-e446" });
    expect(notificationSubject({ subject_type: "drift", subject_id: "9", payload: { summary: "Zoom missing on 3 devices" } })).toEqual({
      label: "Zoom missing on 3 devices",
      to: "/drift/9",
    });
    expect(notificationSubject({ subject_type: "exception", subject_id: "x", payload: { kind: "vulnerability", subject: "CVE-1" } }).label).toBe(
      "Vulnerability exception for CVE-1",
    );
    expect(targetEventsWords([])).toBe("Every event");
    expect(targetEventsWords(["breakglass.used"])).toBe("Break-glass is used");
    expect(responseWords(204)).toBe("204, accepted");
    expect(responseWords(503)).toBe("503, the receiver is unavailable");
    expect(responseWords(null, "ConnectError: [Errno 111] Connection refused")).toBe("No answer: could not connect to the URL");
    expect(relativeTime("2026-12-02T09:57:00Z", NOW)).toBe("3 minutes ago");
    expect(relativeTime("2026-12-02T12:00:00Z", NOW)).toBe("in 2 hours");
    expect(relativeTime("2026-12-02T09:59:50Z", NOW)).toBe("just now");
    const d = { id: 1, notification: 1, event: "x", status: "pending", attempts: 2, next_attempt_at: "2026-12-02T10:05:00Z" } as WebhookDelivery;
    expect(deliveryStatusWords(d, NOW)).toBe("Not delivered yet; next try in 5 minutes (2 attempts so far)");
    expect(deliveryStatusWords({ ...d, status: "failed", attempts: 6 }, NOW)).toBe("Gave up after 6 attempts");
  });
});

const target: WebhookTarget = {
  id: 4,
  name: "siem",
  url: "https://siem.example/hook",
  events: ["breakglass.used"],
  active: true,
  created_by: "admin",
  created_at: ago(60),
};

describe("webhooks", () => {
  beforeEach(() => {
    localStorage.clear();
    vi.spyOn(api.notifications, "list").mockResolvedValue({ results: [], next: null, previous: null } as never);
    vi.spyOn(api.webhooks, "list").mockResolvedValue([target]);
  });

  it("a Platform Admin adds one: the field error lands on the field, then the secret is shown once", async () => {
    signedInAs("platform_admin", { username: "admin" });
    const create = vi
      .spyOn(api.webhooks, "create")
      .mockRejectedValueOnce(
        new ApiProblem({
          type: "urn:x",
          status: 400,
          code: "validation-error",
          title: "Invalid",
          detail: "The request is not valid.",
          correlation_id: "c-1",
          errors: [{ field: "secret", rule: "min-length", message: "A signing secret has at least 16 characters (or leave it out)." }],
        } as never),
      )
      .mockResolvedValueOnce({ ...target, id: 5, name: "pager", events: [], secret: "s3cr3t-shown-once" });
    renderApp("/webhooks");
    expect(await screen.findByRole("rowheader", { name: "siem" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Pause siem…" })).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "Add a webhook" });
    await userEvent.type(within(form).getByLabelText("Name"), "pager");
    await userEvent.type(within(form).getByLabelText("URL"), "https://pager.example/in");
    await userEvent.click(within(form).getByLabelText("Break-glass is used"));
    await userEvent.type(within(form).getByLabelText("Signing secret (optional)"), "short");
    await userEvent.click(within(form).getByRole("button", { name: "Add webhook" }));
    const secret = await within(form).findByLabelText("Signing secret (optional)");
    await waitFor(() => expect(secret).toHaveAttribute("aria-invalid", "true"));
    expect(secret).toHaveAccessibleDescription(expect.stringContaining("at least 16 characters (or leave it out)"));
    expect(create).toHaveBeenLastCalledWith({ name: "pager", url: "https://pager.example/in", events: ["breakglass.used"], secret: "short" });
    await userEvent.clear(secret);
    await userEvent.click(within(form).getByRole("button", { name: "Add webhook" }));
    expect(await screen.findByTestId("webhook-secret")).toHaveTextContent("s3cr3t-shown-once");
    expect(create).toHaveBeenLastCalledWith({ name: "pager", url: "https://pager.example/in", events: ["breakglass.used"] });
    expect(within(form).getByLabelText("Name")).toHaveValue("");
  });

  it("an Auditor reads the list but is offered no change", async () => {
    signedInAs("auditor");
    renderApp("/webhooks");
    expect(await screen.findByRole("rowheader", { name: "siem" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Pause/ })).toBeNull();
    expect(screen.queryByRole("form", { name: "Add a webhook" })).toBeNull();
  });

  it("anyone else is told the screen needs another role", async () => {
    signedInAs("publisher");
    renderApp("/webhooks");
    expect(await screen.findByText(/It needs the Platform Admin or Auditor role/)).toBeInTheDocument();
    expect(api.webhooks.list).not.toHaveBeenCalled();
  });

  it("the delivery log says how each delivery went", async () => {
    signedInAs("platform_admin", { username: "admin" });
    vi.spyOn(api.webhooks, "deliveries").mockResolvedValue([
      { id: 1, notification: 2, event: "breakglass.used", status: "delivered", attempts: 1, response_code: 204, last_error: "", delivered_at: ago(2), last_attempt_at: ago(2), created_at: ago(2) },
      { id: 2, notification: 3, event: "cab.decision_made", status: "pending", attempts: 1, response_code: null, last_error: "ConnectError: refused", next_attempt_at: new Date(Date.now() + 60_000).toISOString(), last_attempt_at: ago(1), created_at: ago(1) },
    ]);
    renderApp("/webhooks/4");
    expect(await screen.findByRole("heading", { name: "Webhook “siem”" })).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Deliveries" });
    const [, delivered, pending] = within(table).getAllByRole("row");
    expect(delivered).toHaveTextContent("Break-glass used");
    expect(delivered).toHaveTextContent("Delivered 2 minutes ago (1 attempt)");
    expect(delivered).toHaveTextContent("204, accepted");
    expect(pending).toHaveTextContent("next try in 1 minute");
    expect(pending).toHaveTextContent("No answer: could not connect to the URL");
    expect(table.textContent).not.toContain("ConnectError");
  });
});

describe("the notifications bell", () => {
  it("counts what I have not read, lists it by name, and the list page marks it read", async () => {
    signedInAs("cab_approver", { username: "cab" });
    let unread = 2;
    vi.spyOn(reads.notifications, "unreadCount").mockImplementation(async () => ({ unread }));
    vi.spyOn(api.notifications, "list").mockImplementation(async () => ({
      results: [
        { ...breakGlass, read: unread < 2 },
        { ...cabOpened, read: unread < 1 },
      ],
      next: null,
      previous: null,
    }));
    const markRead = vi.spyOn(reads.notifications, "markRead").mockImplementation(async () => {
      unread = 1;
      return { ...breakGlass, read: true };
    });
    const markAll = vi.spyOn(reads.notifications, "markAllRead").mockImplementation(async () => {
      unread = 0;
      return { marked: 1 };
    });
    renderApp("/me");
    const bell = await screen.findByRole("button", { name: "Notifications: 2 unread" });
    expect(screen.getByTestId("bell-count")).toHaveTextContent("2");
    await userEvent.click(bell);
    expect(bell).toHaveAttribute("aria-expanded", "true");
    const panel = screen.getByRole("region", { name: "Latest notifications" });
    expect(await within(panel).findByRole("link", { name: "CAB request for falcon-7-18-sales" })).toHaveAttribute("href", "/cab/2383d050-e446");
    expect(within(panel).getByText(/Priority P1, confirmed by cab/)).toBeInTheDocument();
    await userEvent.keyboard("{Escape}");
    expect(bell).toHaveAttribute("aria-expanded", "false");
    expect(bell).toHaveFocus();
    await userEvent.click(bell);
    await userEvent.click(within(panel).getByRole("link", { name: "See all notifications" }));
    const table = await screen.findByRole("table", { name: "Notifications" });
    expect(within(table).getByRole("link", { name: "Break-glass for chrome-131-engineering" })).toHaveAttribute("href", "/exceptions");
    expect(within(table).getAllByText("Unread")).toHaveLength(2);
    expect(screen.getByTestId("unread-count")).toHaveTextContent("2 unread.");
    await userEvent.click(within(table).getAllByRole("button", { name: /^Mark read: Break-glass used, / })[0]!);
    await waitFor(() => expect(markRead).toHaveBeenCalledWith(2));
    expect(await screen.findByRole("button", { name: "Notifications: 1 unread" })).toBeInTheDocument();
    await waitFor(() => expect(within(table).getAllByText("Unread")).toHaveLength(1));
    await userEvent.click(screen.getByRole("button", { name: "Mark all as read" }));
    await waitFor(() => expect(markAll).toHaveBeenCalled());
    expect(await screen.findByText("You have read every notification.")).toBeInTheDocument();
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeInTheDocument();
    expect(screen.queryByTestId("bell-count")).toBeNull();
  });

  it("says so when there is nothing", async () => {
    signedInAs("publisher");
    vi.spyOn(reads.notifications, "unreadCount").mockResolvedValue({ unread: 0 });
    vi.spyOn(api.notifications, "list").mockResolvedValue({ results: [], next: null, previous: null } as never);
    renderApp("/notifications");
    expect(await screen.findByText("No notifications for you yet.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Notifications" }));
    expect(await screen.findByText("Nothing for you yet.")).toBeInTheDocument();
  });
});
