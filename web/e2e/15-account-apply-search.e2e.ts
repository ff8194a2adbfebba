/**
 * My account (own API tokens, password, time zone with UTC on hover and focus), applying an intent
 * manifest with a dry run first (the console's `fleetgate apply -f`), and the header's global search.
 * Each job is done by the role that owns it, its ledger event is read back, and every new page state
 * is checked with axe: no violation of any impact.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, checkClean, type DemoUser, h1, keepFailures, launch, ledgerEvents, PASSWORDS, RUN, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const as = (user: DemoUser, body: (page: Page) => Promise<void>) => asUser(browser, user, body);

describe("my account", () => {
  it("an Auditor sets their time zone, creates and revokes their own token and changes their password", async () => {
    await as("auditor", async (page) => {
      await page.locator(".whoami").click();
      await expect.poll(() => h1(page)).toBe("My account");
      await settled(page);
      await checkClean(page, "15a-account");

      // Time zone: every time is then shown in it, UTC on focus.
      await page.getByLabel("Show times in").selectOption("Asia/Tokyo");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await expect.poll(() => page.getByText("Times are now shown in Asia/Tokyo.").count()).toBe(1);
      const zoned = await ledgerEvents(page, "user.preferences_changed", "auditor");
      expect(zoned[0]?.after).toEqual({ time_zone: "Asia/Tokyo" });

      // A token: shown once, listed, revoked after confirming.
      const name = `laptop-${RUN}`;
      await page.getByLabel("Name (where it will be used)").fill(name);
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = page.getByTestId("token-secret");
      await expect.poll(async () => (await secret.textContent()) ?? "").toMatch(/^fg_/);
      await checkClean(page, "15b-token-shown-once");
      await page.getByRole("button", { name: "I have stored it" }).click();
      await expect.poll(() => secret.count()).toBe(0);
      expect((await ledgerEvents(page, "token.created", "auditor")).length).toBeGreaterThan(0);
      const tokens = page.getByRole("table", { name: /Your tokens/ });
      const created = tokens.locator("time").first();
      await expect.poll(async () => (await created.textContent()) ?? "").toMatch(/GMT\+9$/);
      await created.focus();
      const tip = page.locator(".time-tip.open");
      await expect.poll(async () => (await tip.textContent()) ?? "").toMatch(/UTC$/);
      await checkClean(page, "15c-time-in-zone-utc-on-focus");
      await page.getByRole("button", { name: `Revoke token ${name}` }).click();
      const dialog = page.getByRole("dialog", { name: `Revoke token ${name}?` });
      await checkClean(page, "15d-revoke-dialog");
      await dialog.getByRole("button", { name: "Revoke token" }).click();
      await expect.poll(() => tokens.getByRole("button", { name: `Revoke token ${name}` }).count()).toBe(0);
      expect((await ledgerEvents(page, "token.revoked", "auditor")).length).toBeGreaterThan(0);

      // Password: a weak one is refused on its field; then changed, and changed back for the other specs.
      const form = page.getByRole("region", { name: "Password" });
      const change = async (current: string, next: string) => {
        await form.getByLabel("Current password").fill(current);
        await form.getByLabel(/^New password \(/).fill(next);
        await form.getByLabel("New password again").fill(next);
        await form.getByRole("button", { name: "Change password" }).click();
      };
      await change(PASSWORDS.auditor, "short");
      await expect.poll(() => page.locator("#f-new_password-error").count()).toBe(1);
      await checkClean(page, "15e-password-refused");
      const temporary = `Temporary-${RUN}-passphrase`;
      await change(PASSWORDS.auditor, temporary);
      await expect.poll(() => form.getByText(/Password changed\./).count()).toBe(1);
      const changed = await ledgerEvents(page, "user.password_changed", "auditor");
      expect(changed[0]?.after).toEqual({ other_sessions_signed_out: true, tokens_revoked: 0 });
      await change(temporary, PASSWORDS.auditor);
      await expect.poll(async () => (await ledgerEvents(page, "user.password_changed", "auditor")).length).toBe(changed.length + 1);
      await page.getByLabel("Show times in").selectOption("UTC");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await expect.poll(() => page.getByText("Times are now shown in UTC.").count()).toBe(1);
    });
  });
});

const MANIFEST = (title: string) => `kind: DeploymentIntent
name: firefox-ui-apply-${RUN}
title: ${title}
application: Mozilla Firefox ESR
version: 128.6.0
target: {boundary: acme, business_unit: engineering, site_classes: [online]}
ring_plan:
  - {ring: lab, target_group: FG-LAB, device_count: 8}
rollback_plan: {strategy: reinstall_previous, rollback_version: 128.5.0}
`;

describe("applying a manifest and searching", () => {
  it("a Publisher checks a manifest, sees its problems on their lines, applies it and finds it by search", async () => {
    await as("publisher", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Apply a manifest" }).click();
      await expect.poll(() => h1(page)).toBe("Apply a manifest");
      await checkClean(page, "15f-apply");

      const text = page.getByLabel(/^Manifest/);
      await text.fill(MANIFEST("Firefox from the console").replace("FG-LAB", "''"));
      await page.getByRole("button", { name: "Check what would change" }).click();
      const problems = page.getByRole("alert");
      await expect.poll(async () => (await problems.textContent()) ?? "").toContain("Line 8: Document 1, ring_plan[0].target_group");
      expect(await page.getByRole("button", { name: "Apply" }).isDisabled()).toBe(true);
      await checkClean(page, "15g-apply-problems");

      await text.fill(MANIFEST("Firefox from the console"));
      await page.getByRole("button", { name: "Check what would change" }).click();
      const changes = page.getByRole("table", { name: `Field changes of firefox-ui-apply-${RUN}` });
      await expect.poll(() => changes.getByRole("rowheader", { name: "title" }).count()).toBe(1);
      expect(await page.getByText(/Nothing has been changed yet/).count()).toBe(1);
      const named = (e: { after: unknown }) => (e.after as { name?: string } | null)?.name === `firefox-ui-apply-${RUN}`;
      expect((await ledgerEvents(page, "intent.created", "publisher")).filter(named)).toEqual([]); // a dry run writes nothing
      await checkClean(page, "15h-apply-dry-run");

      await page.getByRole("button", { name: "Apply" }).click();
      await expect.poll(() => page.getByText(/Applied 1 document/).count()).toBe(1);
      const [event, ...more] = (await ledgerEvents(page, "intent.created", "publisher")).filter(named);
      expect(event).toBeDefined();
      expect(more).toEqual([]);
      await checkClean(page, "15i-applied");

      // The header's search: `/` focuses it; hits grouped by kind, each a link.
      await page.locator("main h1").click();
      await page.keyboard.press("/");
      const box = page.locator("#global-search");
      await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
      await box.fill(`ui-apply-${RUN}`);
      const intents = page.getByRole("region", { name: "Intents" });
      await expect.poll(() => intents.getByRole("link", { name: `firefox-ui-apply-${RUN}` }).count()).toBe(1);
      await checkClean(page, "15j-search-results");
      await box.fill(event!.correlation_id);
      const events = page.getByRole("region", { name: "Ledger events" });
      await expect.poll(() => events.getByRole("link", { name: "intent.created" }).count()).toBe(1);
      await checkClean(page, "15k-search-correlation-id");
      await box.fill(`ui-apply-${RUN}`);
      await intents.getByRole("link", { name: `firefox-ui-apply-${RUN}` }).click();
      await expect.poll(() => page.url()).toMatch(/\/intents\/[0-9a-f-]{36}$/);
      await settled(page);
    });
  });
});
