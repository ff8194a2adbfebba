/**
 * The Security Reviewer's screens: trusted signing keys (add with a PEM generated here, see it
 * listed, revoke it with a reason) and exceptions that say what they cover, in the list and in the
 * decision dialog. Against the seeded demo: the Firefox ESR 128.6.0 artifact has a vulnerability
 * exception for CVE-2026-31337 (High, from its vulnerability scan), pending or approved by 06.
 */
import { generateKeyPairSync } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, type DemoUser, h1, keepFailures, launch, RUN, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const as = (user: DemoUser, body: (page: Page) => Promise<void>) => asUser(browser, user, body);

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

const KEY_NAME = `Contoso release key ${RUN}`;
const ed25519Pem = () => generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();

describe("trusted keys", () => {
  it("a Security Reviewer adds an Ed25519 key, sees it listed and revokes it with a reason", async () => {
    await as("security", async (page) => {
      await nav(page, "Trusted keys").click();
      await expect.poll(() => h1(page)).toBe("Trusted keys");
      await settled(page);
      await check(page, "12a-trusted-keys");

      const form = page.getByRole("form", { name: "Add a trusted key" });
      // Nothing filled: each field says what it needs, nothing is sent.
      await form.getByRole("button", { name: "Add trusted key" }).click();
      await expect.poll(() => page.locator("#f-tk-name-error").count()).toBe(1);
      expect(await page.locator("#f-tk-publisher-error").count()).toBe(1);
      expect(await page.locator("#f-tk-pem-error").textContent()).toContain("Paste the PEM text");
      expect(await form.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");

      // A PEM block the server cannot read: its problem lands on the PEM field.
      await form.getByLabel("Name").fill(KEY_NAME);
      await form.getByLabel("Publisher").fill("Contoso Packaging");
      await form.getByLabel("Public key or X.509 root (PEM)").fill("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n");
      await form.getByRole("button", { name: "Add trusted key" }).click();
      await expect.poll(() => page.locator('[role="alert"][data-code]').count()).toBe(1);
      await expect.poll(() => page.locator("#f-tk-pem-error").count()).toBe(1);
      expect(await page.locator("#f-tk-name-error").count()).toBe(0);
      await check(page, "12b-trusted-key-invalid");

      // A real Ed25519 public key, valid until 2030.
      await form.getByLabel("Public key or X.509 root (PEM)").fill(ed25519Pem());
      await form.getByLabel("Expires (UTC, optional)").fill("2030-01-01T00:00");
      await form.getByRole("button", { name: "Add trusted key" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: `Added ${KEY_NAME}` }).count()).toBe(1);
      const row = page.locator(`tr[data-key="${KEY_NAME}"]`);
      await expect.poll(() => row.count()).toBe(1);
      const text = (await row.textContent()) ?? "";
      expect(text).toContain("Public key, Ed25519");
      expect(text).toContain("Contoso Packaging");
      expect(text).toContain("Trusted");
      expect(text).toContain("until 2030-01-01 00:00 UTC");
      expect(text).toContain("by security");
      expect(await form.getByLabel("Name").inputValue()).toBe("");
      await check(page, "12c-trusted-key-added");

      // Revoke: confirmation with a required reason.
      await row.getByRole("button", { name: `Revoke ${KEY_NAME}…` }).click();
      const dialog = page.getByRole("dialog");
      await expect.poll(() => dialog.getByRole("heading", { name: `Revoke ${KEY_NAME}?` }).count()).toBe(1);
      await dialog.getByRole("button", { name: "Revoke key" }).click();
      await expect.poll(() => dialog.locator(".field-error").textContent()).toContain("Give a reason");
      await check(page, "12d-trusted-key-revoke-dialog");
      await dialog.getByLabel(/Reason/).fill("Rotated after the build server move.");
      await dialog.getByRole("button", { name: "Revoke key" }).click();
      await expect.poll(() => row.locator('[data-badge="revoked"]').count()).toBe(1);
      expect(await row.getByRole("button").count()).toBe(0);
      expect(await page.getByRole("status").filter({ hasText: `Revoked ${KEY_NAME}` }).count()).toBe(1);
      await check(page, "12e-trusted-key-revoked");

      // Usable on a phone: no sideways scroll at 390 px.
      await page.setViewportSize({ width: 390, height: 844 });
      await settled(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
      await check(page, "12h-trusted-keys-phone");
    });
  });

  it("an Auditor sees the keys but no add or revoke", async () => {
    await as("auditor", async (page) => {
      await page.goto("/trusted-keys");
      await expect.poll(() => h1(page)).toBe("Trusted keys");
      await settled(page);
      await expect.poll(() => page.locator(`tr[data-key="${KEY_NAME}"]`).count()).toBe(1);
      expect(await page.getByRole("form", { name: "Add a trusted key" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Revoke / }).count()).toBe(0);
    });
  });
});

describe("exceptions say what they cover", () => {
  it("in the list and in the decision dialog, by name with links", async () => {
    await as("security", async (page) => {
      await nav(page, "Exceptions").click();
      await expect.poll(() => h1(page)).toBe("Exceptions");
      await settled(page);
      const row = page.locator('tr[data-exception="CVE-2026-31337"]');
      await expect.poll(() => row.count()).toBe(1);
      const covers = row.getByTestId("exception-coverage");
      await expect.poll(() => covers.textContent()).toContain("High severity");
      expect(await covers.getByRole("link", { name: "Mozilla Firefox ESR", exact: true }).getAttribute("href")).toMatch(/^\/applications\/[0-9a-f-]+$/);
      expect(await covers.getByRole("link", { name: "128.6.0", exact: true }).getAttribute("href")).toMatch(/^\/applications\/[0-9a-f-]+#v-[0-9a-f-]+$/);
      expect(await covers.getByRole("link", { name: /CVE-2026-31337/ }).count()).toBe(1);
      expect(await covers.textContent()).toContain("Not tied to one intent");
      expect(await covers.textContent()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
      await check(page, "12f-exceptions-coverage");
      await page.setViewportSize({ width: 390, height: 844 });
      await settled(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
      await check(page, "12i-exceptions-phone");
      await page.setViewportSize({ width: 1280, height: 860 });

      // Pending (a fresh run) or approved (after 06): either way the dialog names what it covers.
      await row.getByRole("button", { name: /^(Approve|Extend) CVE-2026-31337…$/ }).click();
      const dialog = page.getByRole("dialog");
      const inDialog = dialog.getByTestId("exception-coverage");
      await expect.poll(() => inDialog.textContent()).toContain("High severity");
      expect(await inDialog.getByRole("link", { name: "Mozilla Firefox ESR", exact: true }).count()).toBe(1);
      expect(await inDialog.getByRole("link", { name: "128.6.0", exact: true }).count()).toBe(1);
      expect(await dialog.textContent()).toContain("Plugin blocked by policy FF-PDF-01");
      await check(page, "12g-exception-decision-dialog");
      await dialog.getByRole("button", { name: "Go back" }).click();
      await expect.poll(() => dialog.isVisible()).toBe(false);

      // The application link leads to the application.
      await covers.getByRole("link", { name: "Mozilla Firefox ESR", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Mozilla Firefox ESR");
    });
  });
});
