/**
 * Webhooks and notifications in the web UI. A Platform Admin adds a webhook (a too-short secret is
 * refused on its field; the generated secret is shown once), a break-glass use fires an event, and
 * its delivery to a real receiver appears in the log in words. A CAB approver opens the bell and
 * the notification list, whose subjects are named links. Every new page state is checked with axe.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClean, type DemoUser, jsProblems, keepFailures, launch, newPage, RUN, settled, signIn, webhookReceiver } from "./support";

let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
  receiver = await webhookReceiver("/fleetgate");
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});
keepFailures();

async function as(user: DemoUser, fn: (page: Page) => Promise<void>): Promise<void> {
  const { context, page } = await newPage(browser);
  try {
    await signIn(page, user);
    await fn(page);
    expect(jsProblems(page)).toEqual([]);
  } finally {
    await context.close();
  }
}

/** A call to the API from the signed-in page (session cookie and CSRF token), as the UI makes it. */
async function apiCall<T>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  const result = await page.evaluate(
    async ({ method, path, body }) => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
      const r = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, json: await r.json() };
    },
    { method, path, body },
  );
  if (result.status >= 300) throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.json)}`);
  return result.json as T;
}

const NAME = `siem-${RUN}`;
const ELIGIBLE = ["awaiting_cab", "approved", "in_progress", "paused"];
let breakGlassIntent = "";

describe("webhooks (Platform Admin)", () => {
  it("adds a webhook and sees, in words, its delivery when break-glass is used", async () => {
    await as("admin", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
      await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
      await checkClean(page, "b0-webhooks");

      const form = page.getByRole("form", { name: "Add a webhook" });
      await form.getByLabel("Name").fill(NAME);
      await form.getByLabel("URL").fill(receiver.url);
      await form.getByLabel("Break-glass is used").check();
      await form.getByLabel("Signing secret (optional)").fill("too-short");
      await form.getByRole("button", { name: "Add webhook" }).click();
      const secretField = form.getByLabel("Signing secret (optional)");
      await expect.poll(() => secretField.getAttribute("aria-invalid")).toBe("true");
      expect(await form.locator(".field-error").textContent()).toContain("at least 16 characters");
      await checkClean(page, "b1-webhook-secret-refused");

      await secretField.fill("");
      await form.getByRole("button", { name: "Add webhook" }).click();
      const once = page.getByTestId("webhook-secret");
      await once.waitFor();
      expect(((await once.textContent()) ?? "").length).toBeGreaterThanOrEqual(32);
      await checkClean(page, "b2-webhook-secret-once");
      await page.getByRole("button", { name: "I have stored it" }).click();
      await once.waitFor({ state: "detached" });

      const row = page.locator(`tr[data-webhook="${NAME}"]`);
      expect(await row.textContent()).toContain("Break-glass is used");
      await row.getByRole("link", { name: "Delivery log" }).click();
      await page.getByRole("heading", { level: 1, name: `Webhook “${NAME}”` }).waitFor();
      await page.getByText("No deliveries yet").waitFor();
      await checkClean(page, "b3-webhook-no-deliveries");
      const logUrl = page.url();

      // Break-glass, two people: a Security Reviewer asks, a CAB approver confirms; the event fires.
      let breakGlassId = "";
      await as("security", async (sec) => {
        const intents = await apiCall<{ results: { id: string; name: string; state: string }[] }>(sec, "GET", "/api/v1/intents/?page_size=200");
        const intent =
          intents.results.find((i) => i.name === "chrome-131-engineering" && ELIGIBLE.includes(i.state)) ??
          intents.results.find((i) => ELIGIBLE.includes(i.state));
        expect(intent, "an intent break-glass applies to").toBeTruthy();
        breakGlassIntent = intent!.name;
        const row = await apiCall<{ id: string }>(sec, "POST", "/api/v1/break-glass/", {
          intent: intent!.id,
          priority: "P1",
          reason: `INC-${RUN}: webhook delivery check, emergency fix rollout.`,
          duration_hours: 1,
        });
        breakGlassId = row.id;
      });
      await as("cab", async (cab) => {
        await apiCall(cab, "POST", `/api/v1/break-glass/${breakGlassId}/confirm/`);
      });

      // The log refreshes itself while open: the delivery appears, delivered, in words.
      await page.goto(logUrl);
      const delivered = page.getByRole("table", { name: "Deliveries" }).locator('tbody tr[data-status="delivered"]');
      await expect.poll(() => delivered.count(), { timeout: 30_000 }).toBe(1);
      const text = (await delivered.textContent()) ?? "";
      expect(text).toContain("Break-glass used");
      expect(text).toContain("Delivered");
      expect(text).toContain("204, accepted");
      const hit = receiver.received.find((r) => r.headers["x-fleetgate-event"] === "breakglass.used");
      expect(hit, "the receiver got the signed POST").toBeTruthy();
      expect(hit!.headers["x-fleetgate-signature"]).toBeTruthy();
      expect(JSON.parse(hit!.body).data.intent).toBe(breakGlassIntent);
      await checkClean(page, "b4-webhook-delivered");

      // Pause (confirmed in a dialog), then resume.
      await page.getByRole("link", { name: "All webhooks" }).click();
      await page.getByRole("button", { name: `Pause ${NAME}…` }).click();
      const dialog = page.getByRole("dialog", { name: `Pause “${NAME}”?` });
      await dialog.waitFor();
      await checkClean(page, "b5-webhook-pause-dialog");
      await dialog.getByRole("button", { name: "Pause webhook" }).click();
      await page.getByRole("status").filter({ hasText: `“${NAME}” is paused` }).waitFor();
      await expect.poll(() => page.locator(`tr[data-webhook="${NAME}"] [data-badge]`).textContent()).toBe("Paused");
      await checkClean(page, "b6-webhook-paused");
      await page.getByRole("button", { name: `Resume ${NAME}` }).click();
      await expect.poll(() => page.locator(`tr[data-webhook="${NAME}"] [data-badge]`).textContent()).toBe("Active");
    });
  });

  it("an Auditor reads webhooks and their log but is offered no change", async () => {
    await as("auditor", async (page) => {
      await page.goto("/webhooks");
      await page.locator(`tr[data-webhook="${NAME}"]`).waitFor();
      await settled(page);
      expect(await page.getByRole("form", { name: "Add a webhook" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^(Pause|Resume) / }).count()).toBe(0);
    });
  });
});

describe("notifications (everyone)", () => {
  it("a CAB approver opens the bell and the list; subjects are named links", async () => {
    await as("cab", async (page) => {
      const bell = page.getByRole("button", { name: /^Notifications: \d+\+? unread$/ });
      await bell.waitFor();
      await bell.click();
      const panel = page.getByRole("region", { name: "Latest notifications" });
      await panel.getByRole("link", { name: `Break-glass for ${breakGlassIntent}` }).first().waitFor();
      await checkClean(page, "b7-bell-open");
      await page.keyboard.press("Escape");
      await panel.waitFor({ state: "hidden" });

      await bell.click();
      await panel.getByRole("link", { name: "See all notifications" }).click();
      await page.getByRole("heading", { level: 1, name: "Notifications" }).waitFor();
      const table = page.getByRole("table", { name: "Notifications" });
      await table.getByRole("link", { name: "CAB request for falcon-7-18-sales" }).first().waitFor();
      expect(await table.textContent()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      await checkClean(page, "b8-notifications-list");

      await table.getByRole("link", { name: "CAB request for falcon-7-18-sales" }).first().click();
      await page.waitForURL(/\/cab\/[0-9a-f-]+$/);
      await page.getByRole("heading", { level: 1 }).waitFor();
    });
  });

  it("fits a phone: no sideways scroll on the list or with the bell open", async () => {
    await as("cab", async (page) => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto("/notifications");
      await page.getByRole("table", { name: "Notifications" }).waitFor();
      await settled(page);
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.getByRole("button", { name: /^Notifications/ }).click();
      await page.getByRole("region", { name: "Latest notifications" }).getByRole("link", { name: "See all notifications" }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await checkClean(page, "b9-bell-phone");
    });
  });
});
