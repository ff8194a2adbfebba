/**
 * Names, not ids, and the reads behind them, each job as the role that owns it: a Platform Admin edits a
 * webhook and sends it a signed test delivery (the delivery log and the ledger show both, by the webhook's
 * name); a CAB approver marks notifications read (the bell's unread count follows, the ledger records it);
 * an Auditor reads the dashboard and the ledger with every subject a named link; a Packaging Engineer's
 * evidence checklist asks the server what is still missing. axe: 0 violations of any impact per new state.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, checkClean, h1, keepFailures, launch, RUN, settled, webhookReceiver } from "./support";

let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
  receiver = await webhookReceiver("/names");
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
});
keepFailures();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/;

/** The newest ledger row of `action`, as the ledger screen lists it. */
async function ledgerRow(page: Page, action: string) {
  await page.goto(`/ledger?action=${encodeURIComponent(action)}`);
  await expect.poll(() => h1(page)).toBe("Ledger");
  await settled(page);
  const row = page.locator("tbody tr").filter({ hasText: action }).first();
  await row.waitFor();
  return row;
}

const NAME = `names-${RUN}`;

describe("webhooks: edit and send test (Platform Admin)", () => {
  it("edits a webhook, sends it a signed test, and both are in the log and the ledger by name", async () => {
    await asUser(browser, "admin", async (page) => {
      await page.goto("/webhooks");
      await expect.poll(() => h1(page)).toBe("Webhooks");
      const form = page.getByRole("form", { name: "Add a webhook" });
      await form.getByLabel("Name").fill(NAME);
      await form.getByLabel("URL").fill(`${receiver.url}/old`);
      await form.getByRole("button", { name: "Add webhook" }).click();
      await page.getByRole("button", { name: "I have stored it" }).click();

      const row = page.locator(`tr[data-webhook="${NAME}"]`);
      await row.getByRole("button", { name: `Edit ${NAME}` }).click();
      const edit = page.getByRole("form", { name: `Edit “${NAME}”` });
      await edit.waitFor();
      expect(await edit.getByLabel("URL").inputValue()).toBe(`${receiver.url}/old`);
      expect(await edit.getByLabel("Signing secret (optional)").count()).toBe(0);
      await checkClean(page, "n0-webhook-edit");
      await edit.getByLabel("URL").fill(receiver.url);
      await edit.getByLabel("A CAB decision is made").check();
      await edit.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("status").filter({ hasText: `“${NAME}” saved` }).waitFor();
      // the old URL starts with the new one: wait for the row to drop it, not just to show the new one
      await expect.poll(async () => (await row.textContent())?.includes("/old")).toBe(false);
      expect(await row.textContent()).toContain(receiver.url);
      await checkClean(page, "n1-webhook-saved");

      await row.getByRole("button", { name: `Send test to ${NAME}` }).click();
      const sent = page.getByRole("status").filter({ hasText: `A signed test delivery to “${NAME}” is on its way.` });
      await sent.waitFor();
      await checkClean(page, "n2-webhook-test-sent");
      await sent.getByRole("link", { name: "See how it went in its delivery log" }).click();
      await expect.poll(() => h1(page)).toBe(`Webhook “${NAME}”`);
      const delivered = page.getByRole("table", { name: "Deliveries" }).locator('tbody tr[data-status="delivered"]');
      await expect.poll(() => delivered.count(), { timeout: 30_000 }).toBe(1);
      expect(await delivered.textContent()).toContain("Test delivery");
      const hit = receiver.received.find((r) => r.headers["x-fleetgate-event"] === "webhook.test");
      expect(hit, "the receiver got the signed test POST at the edited URL").toBeTruthy();
      expect(hit!.headers["x-fleetgate-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      await checkClean(page, "n3-webhook-test-delivered");

      for (const action of ["webhook_target.updated", "webhook_target.test_sent"]) {
        const event = await ledgerRow(page, action);
        expect(await event.getByRole("link", { name: NAME, exact: true }).getAttribute("href")).toMatch(/^\/webhooks\/\d+$/);
        expect(await event.textContent()).toContain("admin");
      }
      await checkClean(page, "n4-ledger-webhook-event");
    });
  });
});

describe("notifications: read state (CAB Approver)", () => {
  it("marks one read, then all; the bell follows and the ledger records it", async () => {
    await asUser(browser, "cab", async (page) => {
      await page.goto("/notifications");
      await expect.poll(() => h1(page)).toBe("Notifications");
      await settled(page);
      const table = page.getByRole("table", { name: "Notifications" });
      const markOne = table.getByRole("button", { name: /^Mark read: / });
      await expect.poll(() => markOne.count()).toBeGreaterThan(0);
      const before = await markOne.count();
      const bell = page.getByRole("button", { name: /^Notifications: \d+\+? unread$/ });
      await bell.waitFor();
      await checkClean(page, "n5-notifications-unread");

      await markOne.first().click();
      await expect.poll(() => markOne.count()).toBe(before - 1);
      // the filter lives in the URL: the box is checked once the page has navigated, not at the click
      const unreadOnly = page.getByRole("checkbox", { name: "Only unread" });
      await unreadOnly.click();
      await expect.poll(() => unreadOnly.isChecked()).toBe(true);
      await expect.poll(() => page.url()).toContain("unread=true");
      await expect.poll(() => table.getByText("Unread").count()).toBe(before - 1);
      await checkClean(page, "n6-notifications-only-unread");

      if (before > 1) {
        await page.getByRole("button", { name: "Mark all as read" }).click();
        await page.getByText("Nothing unread here.").waitFor();
      }
      await page.getByText("You have read every notification.").waitFor();
      await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
      expect(await page.getByTestId("bell-count").count()).toBe(0);
      await checkClean(page, "n7-notifications-all-read");

      const event = await ledgerRow(page, "notification.read");
      expect(await event.textContent()).toContain("cab");
      await checkClean(page, "n8-ledger-notification-read");
    });
  });
});

describe("subjects by name (Auditor)", () => {
  it("the dashboard and the ledger name every subject, as links", async () => {
    await asUser(browser, "auditor", async (page) => {
      await page.goto("/");
      await expect.poll(() => h1(page)).toBe("Dashboard");
      const recent = page.getByRole("table", { name: "The latest ledger events" });
      await recent.locator("tbody tr").first().waitFor();
      await settled(page);
      const subjects = recent.locator("tbody td:nth-child(5)");
      expect((await subjects.allTextContents()).join(" ")).not.toMatch(UUID);
      await checkClean(page, "n9-dashboard-named");

      await page.goto("/ledger?subject_type=intent");
      await expect.poll(() => h1(page)).toBe("Ledger");
      await settled(page);
      const first = page.locator("tbody tr").first().locator('[data-subject-type="intent"]');
      const link = first.getByRole("link");
      expect(await link.getAttribute("href")).toMatch(/^\/intents\/[0-9a-f-]+$/);
      const name = ((await link.textContent()) ?? "").trim();
      expect(name).not.toMatch(UUID);
      await checkClean(page, "n10-ledger-named");
      await link.click();
      await page.waitForURL(/\/intents\/[0-9a-f-]+$/);
      await expect.poll(() => page.getByText(name).count()).toBeGreaterThan(0);
    });
  });
});

describe("evidence completeness (Packaging Engineer)", () => {
  it("the checklist asks the server what is still missing", async () => {
    await asUser(browser, "packager", async (page) => {
      await page.goto("/applications");
      await settled(page);
      const asked = page.waitForResponse((r) => r.url().includes("/api/v1/evidence/completeness/") && r.status() === 200);
      await page.getByRole("link", { name: "Mozilla Firefox ESR", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Mozilla Firefox ESR");
      const answer = (await (await asked).json()) as { artifact: string; gaps: { check: string }[] };
      await settled(page);
      // The checklist of the artifact that answer is about (a version can have several artifacts).
      const checklist = page.locator(".evidence-checklist").filter({ has: page.locator(`[id="ev-${answer.artifact}-sbom"]`) });
      await checklist.getByTestId("checklist-count").waitFor();
      const gaps = checklist.getByTestId("completeness-gaps");
      if (answer.gaps.some((g) => g.check !== "sections-present")) {
        await gaps.waitFor();
        expect(await gaps.textContent()).not.toMatch(/fleetgate |`/);
      } else {
        expect(await gaps.count()).toBe(0);
      }
      await checkClean(page, "n11-evidence-completeness");
    });
  });
});
