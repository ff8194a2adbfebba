import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, type DemoUser, h1, jsProblems, keepFailures, launch, newPage, settled, signIn } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

interface Expect {
  roleLabel: string;
  settings: boolean;
  newIntent: boolean;
  verifyLedger: boolean;
}

const ROLES: Record<DemoUser, Expect> = {
  admin: { roleLabel: "Platform Admin", settings: true, newIntent: false, verifyLedger: true },
  packager: { roleLabel: "Packaging Engineer", settings: false, newIntent: false, verifyLedger: false },
  publisher: { roleLabel: "Publisher", settings: false, newIntent: true, verifyLedger: false },
  "globex-publisher": { roleLabel: "Publisher", settings: false, newIntent: true, verifyLedger: false },
  cab: { roleLabel: "CAB Approver", settings: false, newIntent: false, verifyLedger: false },
  security: { roleLabel: "Security Reviewer", settings: false, newIntent: false, verifyLedger: true },
  ops: { roleLabel: "Endpoint Ops", settings: false, newIntent: false, verifyLedger: false },
  auditor: { roleLabel: "Auditor", settings: false, newIntent: false, verifyLedger: true },
};

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });

describe("what each demo role can see and do", () => {
  for (const [user, want] of Object.entries(ROLES) as [DemoUser, Expect][]) {
    it(`${user}: ${want.roleLabel}`, async () => {
      const { page, context } = await newPage(browser);
      await signIn(page, user);
      await settled(page);
      expect(await page.locator(".whoami-roles").textContent()).toContain(want.roleLabel);
      await check(page, `10-dashboard-${user}`);

      // Everyone reads the catalog, the intents and the ledger.
      for (const name of ["Dashboard", "Applications", "Intents", "Ledger"]) {
        expect(await nav(page).getByRole("link", { name, exact: true }).count(), name).toBe(1);
      }
      expect(await nav(page).getByRole("link", { name: "Settings" }).count()).toBe(want.settings ? 1 : 0);

      // Dashboard: a publisher has drafts awaiting submission, a CAB approver nothing yet.
      const awaiting = page.getByRole("region", { name: "Awaiting my action" });
      if (user === "publisher") {
        await expect.poll(() => awaiting.getByRole("cell", { name: "Submit" }).count()).toBeGreaterThan(0);
      }

      await nav(page).getByRole("link", { name: "Intents", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Intents");
      await settled(page);
      expect(await page.getByRole("link", { name: "New intent" }).count()).toBe(want.newIntent ? 1 : 0);

      // A draft inside the publisher's scope offers edit / submit / cancel, to that publisher only.
      await page.goto("/intents?q=firefox-128-6-finance");
      await settled(page);
      const firefox = page.getByRole("link", { name: /Mozilla Firefox ESR 128.6.0 to finance/ });
      if (user === "globex-publisher") {
        // Reads are scoped like writes: acme's intent is not even listed for the acquisition's publisher.
        expect(await firefox.count(), "out-of-scope intent listed").toBe(0);
      } else {
        await firefox.click();
        await expect.poll(() => h1(page)).toContain("Mozilla Firefox ESR");
        await settled(page);
        const canAct = user === "publisher";
        expect(await page.getByRole("button", { name: "Submit…" }).count(), "submit").toBe(canAct ? 1 : 0);
        expect(await page.getByRole("link", { name: "Edit draft" }).count(), "edit").toBe(canAct ? 1 : 0);
      }

      await nav(page).getByRole("link", { name: "Ledger" }).click();
      await expect.poll(() => h1(page)).toBe("Ledger");
      await settled(page);
      expect(await page.getByRole("button", { name: "Verify chain" }).count()).toBe(want.verifyLedger ? 1 : 0);
      expect(await page.getByRole("button", { name: "Export JSON lines" }).count()).toBe(want.verifyLedger ? 1 : 0);

      // Settings by URL: only a Platform Admin gets in; everyone else is told why.
      await page.goto("/settings/users");
      await settled(page);
      if (want.settings) {
        await expect.poll(() => page.getByRole("heading", { name: "Users and roles" }).count()).toBe(1);
      } else {
        await expect.poll(() => h1(page)).toBe("Not available to you");
        expect(await page.getByRole("alert").textContent()).toContain("Platform Admin");
        if (user === "auditor") await check(page, "11-settings-refused");
      }
      // And the form for a new intent, by URL, is refused to non-publishers.
      if (!want.newIntent && user === "cab") {
        await page.goto("/intents/new");
        await settled(page);
        await expect.poll(() => h1(page)).toBe("Not available to you");
      }
      expect(jsProblems(page)).toEqual([]);
      await context.close();
    });
  }
});
