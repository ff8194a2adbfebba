/**
 * The site registry in the web UI: a Platform Admin registers an air-gapped site (refused first without
 * its bundle key, the problem on that field), then edits it; each write is one ledger event. An Auditor
 * reads the registry without the buttons. Every new page state is checked with axe (nothing of any impact).
 */
import { generateKeyPairSync } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, checkClean, h1, keepFailures, launch, ledgerEvents, RUN, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const NAME = `vault-${RUN}`;
const KEY = generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }).toString();
const row = (page: Page) => page.locator(`tr[data-site="${NAME}"]`);

describe("sites", () => {
  it("a Platform Admin registers an air-gapped site, then edits it; both are in the ledger", async () => {
    await asUser(browser, "admin", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sites", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Sites");
      await settled(page);
      await page.getByRole("button", { name: "Register a site…" }).click();
      const form = page.getByRole("form", { name: "Register a site" });
      await form.waitFor();
      await checkClean(page, "18a-site-register");
      await form.getByLabel("Name", { exact: true }).fill(NAME);
      await form.getByLabel("Site class", { exact: true }).selectOption("air_gapped");
      await form.getByLabel("Boundary", { exact: true }).selectOption("acme");
      await form.getByLabel("Execution plane", { exact: true }).selectOption("sccm");
      await form.getByRole("button", { name: "Register site" }).click();
      await page.getByText("The site is not valid; see the marked fields").waitFor();
      const key = form.getByLabel("Bundle key of the site's Fleetgate (PEM)", { exact: true });
      expect(await key.getAttribute("aria-invalid")).toBe("true");
      expect(await form.locator(".field-invalid").count()).toBe(1);
      await checkClean(page, "18b-site-register-invalid");
      await key.fill(KEY);
      await form.getByRole("button", { name: "Register site" }).click();
      await page.getByText(`Site “${NAME}” is registered.`).waitFor();
      await row(page).waitFor();
      expect(await row(page).textContent()).toContain("Air-gapped");
      await checkClean(page, "18c-site-registered");
      const [created] = await ledgerEvents(page, "site.created", "admin");
      expect(created?.after?.name).toBe(NAME);

      await row(page).getByRole("button", { name: `Edit ${NAME}…` }).click();
      const edit = page.getByRole("form", { name: `Edit site “${NAME}”` });
      await edit.waitFor();
      expect(await edit.getByLabel("Name", { exact: true }).count()).toBe(0);
      await edit.getByLabel("Title (optional)", { exact: true }).fill(`Vault ${RUN}`);
      await edit.getByLabel("Time zone", { exact: true }).selectOption("Europe/Berlin");
      await checkClean(page, "18d-site-edit");
      await edit.getByRole("button", { name: "Save changes" }).click();
      await page.getByText(`Site “Vault ${RUN}” is saved.`).waitFor();
      // The list reloads after the save: wait for the new row, not just the notice.
      await expect.poll(() => row(page).textContent()).toContain("Europe/Berlin");
      await checkClean(page, "18e-site-edited");
      const [updated] = await ledgerEvents(page, "site.updated", "admin");
      expect(updated?.after?.time_zone).toBe("Europe/Berlin");
      expect(updated?.after?.title).toBe(`Vault ${RUN}`);
    });
  });

  it("an Auditor reads the registry without the buttons", async () => {
    await asUser(browser, "auditor", async (page) => {
      await page.goto("/sites");
      await row(page).waitFor();
      expect(await page.getByRole("button", { name: /Register a site|Edit/ }).count()).toBe(0);
      await checkClean(page, "18f-sites-auditor");
    });
  });
});
