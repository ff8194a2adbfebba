/**
 * Names, not ids, and the reads behind them, each job as the role that owns it: a Platform Admin edits a
 * webhook and sends it a signed test delivery (the delivery log and the ledger show both, by the webhook's
 * name); a CAB approver marks notifications read (the bell's unread count follows, the ledger records it);
 * an Auditor reads the dashboard and the ledger with every subject a named link; a Packaging Engineer's
 * evidence checklist asks the server what is still missing. axe: 0 violations of any impact per new state.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, h1, keepFailures, launch, RESULTS, RUN, settled } from "./support";

const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let receiver: Server;
let receiverUrl = "";
let browser: Browser;

beforeAll(async () => {
  browser = await launch();
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/names`;
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver?.close(resolve));
});
keepFailures();

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/;

/** axe: 0 violations of any impact (check() fails on serious ones; this refuses the rest too). */
async function checkAll(page: Page, name: string): Promise<void> {
  await check(page, name);
  const result = JSON.parse(readFileSync(join(RESULTS, "axe", `${name}.json`), "utf8")) as { other: unknown[] };
  expect(result.other, `axe minor/moderate violations on ${name}`).toEqual([]);
}

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
      await form.getByLabel("URL").fill(`${receiverUrl}/old`);
      await form.getByRole("button", { name: "Add webhook" }).click();
      await page.getByRole("button", { name: "I have stored it" }).click();

      const row = page.locator(`tr[data-webhook="${NAME}"]`);
      await row.getByRole("button", { name: `Edit ${NAME}` }).click();
      const edit = page.getByRole("form", { name: `Edit “${NAME}”` });
      await edit.waitFor();
      expect(await edit.getByLabel("URL").inputValue()).toBe(`${receiverUrl}/old`);
      expect(await edit.getByLabel("Signing secret (optional)").count()).toBe(0);
      await checkAll(page, "n0-webhook-edit");
      await edit.getByLabel("URL").fill(receiverUrl);
      await edit.getByLabel("A CAB decision is made").check();
      await edit.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("status").filter({ hasText: `“${NAME}” saved` }).waitFor();
      await expect.poll(() => row.textContent()).toContain(receiverUrl);
      expect(await row.textContent()).not.toContain("/old");
      await checkAll(page, "n1-webhook-saved");

      await row.getByRole("button", { name: `Send test to ${NAME}` }).click();
      const sent = page.getByRole("status").filter({ hasText: `A signed test delivery to “${NAME}” is on its way.` });
      await sent.waitFor();
      await checkAll(page, "n2-webhook-test-sent");
      await sent.getByRole("link", { name: "See how it went in its delivery log" }).click();
      await expect.poll(() => h1(page)).toBe(`Webhook “${NAME}”`);
      const delivered = page.getByRole("table", { name: "Deliveries" }).locator('tbody tr[data-status="delivered"]');
      await expect.poll(() => delivered.count(), { timeout: 30_000 }).toBe(1);
      expect(await delivered.textContent()).toContain("Test delivery");
      const hit = received.find((r) => r.headers["x-fleetgate-event"] === "webhook.test");
      expect(hit, "the receiver got the signed test POST at the edited URL").toBeTruthy();
      expect(hit!.headers["x-fleetgate-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
      await checkAll(page, "n3-webhook-test-delivered");

      for (const action of ["webhook_target.updated", "webhook_target.test_sent"]) {
        const event = await ledgerRow(page, action);
        expect(await event.getByRole("link", { name: NAME, exact: true }).getAttribute("href")).toMatch(/^\/webhooks\/\d+$/);
        expect(await event.textContent()).toContain("admin");
      }
      await checkAll(page, "n4-ledger-webhook-event");
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
      await checkAll(page, "n5-notifications-unread");

      await markOne.first().click();
      await expect.poll(() => markOne.count()).toBe(before - 1);
      await page.getByRole("checkbox", { name: "Only unread" }).check();
      await expect.poll(() => page.url()).toContain("unread=true");
      await expect.poll(() => table.getByText("Unread").count()).toBe(before - 1);
      await checkAll(page, "n6-notifications-only-unread");

      if (before > 1) {
        await page.getByRole("button", { name: "Mark all as read" }).click();
        await page.getByText("Nothing unread here.").waitFor();
      }
      await page.getByText("You have read every notification.").waitFor();
      await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
      expect(await page.getByTestId("bell-count").count()).toBe(0);
      await checkAll(page, "n7-notifications-all-read");

      const event = await ledgerRow(page, "notification.read");
      expect(await event.textContent()).toContain("cab");
      await checkAll(page, "n8-ledger-notification-read");
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
      await checkAll(page, "n9-dashboard-named");

      await page.goto("/ledger?subject_type=intent");
      await expect.poll(() => h1(page)).toBe("Ledger");
      await settled(page);
      const first = page.locator("tbody tr").first().locator('[data-subject-type="intent"]');
      const link = first.getByRole("link");
      expect(await link.getAttribute("href")).toMatch(/^\/intents\/[0-9a-f-]+$/);
      const name = ((await link.textContent()) ?? "").trim();
      expect(name).not.toMatch(UUID);
      await checkAll(page, "n10-ledger-named");
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
      await checkAll(page, "n11-evidence-completeness");
    });
  });
});
