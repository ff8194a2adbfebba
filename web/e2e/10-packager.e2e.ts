/**
 * The Packaging Engineer's job in the UI: register an application and a version, upload an
 * artifact (the SHA-256 Fleetgate computed is shown), attach evidence (a bad file's problem in
 * words next to it), watch the completeness checklist fill, and reach the seal step. Axe runs on
 * every new page state and, here, any violation of any impact fails.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClean, h1, jsProblems, keepFailures, launch, newPage, RUN, settled, signIn } from "./support";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const fixture = (name: string) => join(FIXTURES, name);
const ARTIFACT = "contoso-notes-2.1.0.msi";
const SHA = createHash("sha256").update(readFileSync(fixture(ARTIFACT))).digest("hex");

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

async function attach(page: Page, file: string, expectKind: string) {
  await page.getByLabel(`Evidence file for ${ARTIFACT}`).setInputFiles(fixture(file));
  await expect.poll(() => page.getByLabel("Kind of evidence").inputValue()).toBe(expectKind);
  await page.getByRole("button", { name: `Attach ${file}` }).click();
}

describe("the Packaging Engineer", () => {
  it("registers an application and version, uploads an artifact and attaches its evidence", async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, "packager");
      await page.goto("/applications");
      await settled(page);
      await checkClean(page, "10-packager-applications");

      await page.getByRole("button", { name: "Register an application" }).click();
      const form = page.getByRole("form", { name: "Register an application" });
      await form.waitFor();
      await checkClean(page, "10-packager-register-form");
      await form.getByRole("button", { name: "Register application" }).click();
      await expect.poll(() => form.getByText("Choose at least one platform.").count()).toBe(1);
      await expect.poll(() => form.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
      await checkClean(page, "10-packager-register-errors");

      const name = `Contoso Notes ${RUN}`;
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("Vendor").fill("Contoso");
      await form.getByLabel("Category").selectOption("productivity");
      await form.getByLabel("Windows").check();
      // Pickers: boundary and business unit come from what the server knows.
      await form.getByLabel("Boundary").selectOption("acme");
      await form.getByLabel("finance", { exact: true }).check();
      await form.getByRole("button", { name: "Register application" }).click();
      await expect.poll(() => h1(page)).toBe(name);
      await settled(page);
      expect(await page.getByText("No version is registered yet.").count()).toBe(1);
      await checkClean(page, "10-packager-application-registered");

      await page.getByRole("button", { name: "Add a version" }).click();
      await page.getByLabel("Version", { exact: true }).fill("2.1.0");
      await page.getByRole("button", { name: "Add version" }).click();
      await page.getByRole("heading", { name: "Version 2.1.0", exact: true }).waitFor();
      await settled(page);
      await checkClean(page, "10-packager-version-added");

      await page.getByLabel("Installer file for version 2.1.0").setInputFiles(fixture(ARTIFACT));
      expect(await page.getByLabel("Package format").inputValue()).toBe("msi");
      await page.getByRole("button", { name: new RegExp(`Upload ${ARTIFACT.replace(/\./g, "\\.")}`) }).click();
      const digest = page.getByTestId("artifact-sha256");
      await digest.waitFor();
      expect(await digest.textContent()).toBe(SHA);
      await settled(page);
      await expect.poll(() => page.getByRole("table", { name: "Artifacts of version 2.1.0" }).getByText(SHA).count()).toBe(1);
      await checkClean(page, "10-packager-artifact-uploaded");

      const count = page.getByTestId("checklist-count");
      expect(await count.textContent()).toContain("0 of 7 required kinds");

      // A bad file: its problem is shown next to it, with the field and the rule in words.
      await attach(page, "malware-scan-missing-result.json", "malware_scan");
      const problem = page.getByTestId("evidence-problem");
      await problem.waitFor();
      const words = (await problem.textContent()) ?? "";
      expect(words).toContain("is not a valid Malware scan");
      expect(words).toMatch(/The field result /);
      expect(words).not.toMatch(/\$\.|Field required/);
      await checkClean(page, "10-packager-evidence-problem");

      const good: [string, string][] = [
        ["sbom.cdx.json", "sbom"],
        ["trivy-report.json", "vulnerability_scan"],
        ["malware-scan.json", "malware_scan"],
        ["install-facts.json", "install_facts"],
        ["rollback-plan.json", "rollback_plan"],
        ["lab-results.json", "test_evidence"],
      ];
      for (const [i, [file, kind]] of good.entries()) {
        await attach(page, file, kind);
        await expect.poll(() => count.textContent(), { timeout: 15_000 }).toContain(`${i + 1} of 7 required kinds`);
        expect(await page.locator(`.checklist li[data-kind="${kind}"]`).getAttribute("data-done")).toBe("yes");
      }
      expect(await page.locator('.checklist li[data-kind="signature"]').textContent()).toContain("missing");
      // Sealing belongs to a deployment intent; none deploys this new version yet, and the screen says so.
      expect(await page.getByText(/no intent deploys version 2\.1\.0 yet/).count()).toBe(1);
      await checkClean(page, "10-packager-checklist-filled");

      await page.setViewportSize({ width: 390, height: 844 });
      await settled(page);
      const sideways = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
      expect(sideways).toBe(false);
      await checkClean(page, "10-packager-phone");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("attaches a new rollback plan to an assessed artifact, sees the checklist complete and seals the next pack", async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, "packager");
      await page.goto("/applications");
      await settled(page);
      await page.getByRole("link", { name: "7-Zip", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("7-Zip");
      await settled(page);
      const panel = page.getByRole("region", { name: "Evidence for 7-zip-24.9.0.msi" });
      await expect.poll(() => panel.getByTestId("checklist-count").textContent()).toContain("7 of 7 required kinds");
      await panel.getByLabel("Evidence file for 7-zip-24.9.0.msi").setInputFiles(fixture("rollback-plan.json"));
      await expect.poll(() => panel.getByLabel("Kind of evidence").inputValue()).toBe("rollback_plan");
      await panel.getByRole("button", { name: "Attach rollback-plan.json" }).click();
      await expect.poll(() => panel.locator('.checklist li[data-kind="rollback_plan"]').textContent()).toContain("rollback-plan.json");
      await checkClean(page, "10-packager-ready-to-seal");

      expect(await panel.getByLabel("Seal for intent").locator("option:checked").textContent()).toBe("7-Zip 24.9.0 to engineering");
      await panel.getByRole("button", { name: "Seal evidence pack" }).click();
      await expect.poll(() => panel.getByText(/Pack version \d+ sealed/).count(), { timeout: 15_000 }).toBe(1);
      // The sealed pack, as the shared viewer shows it.
      await expect.poll(() => panel.getByText("rollback-plan.json").count()).toBeGreaterThan(1);
      await settled(page);
      await checkClean(page, "10-packager-sealed-pack");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows the packager's buttons only to roles that may use them, and the form fits a phone", async () => {
    const publisher = await newPage(browser);
    try {
      await signIn(publisher.page, "publisher");
      await publisher.page.goto("/applications");
      await settled(publisher.page);
      await publisher.page.getByRole("link", { name: "7-Zip", exact: true }).click();
      await expect.poll(() => h1(publisher.page)).toBe("7-Zip");
      await settled(publisher.page);
      expect(await publisher.page.getByRole("button", { name: "Add a version" }).count()).toBe(0);
      expect(await publisher.page.getByRole("button", { name: "Seal evidence pack" }).count()).toBe(0);
      expect(await publisher.page.locator('input[type="file"]').count()).toBe(0);
      // The checklist is for everyone to read.
      expect(await publisher.page.getByTestId("checklist-count").count()).toBeGreaterThan(0);
      await publisher.page.goto("/applications");
      await settled(publisher.page);
      expect(await publisher.page.getByRole("button", { name: "Register an application" }).count()).toBe(0);
    } finally {
      await publisher.context.close();
    }
    const { page, context } = await newPage(browser);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await signIn(page, "packager");
      await page.goto("/applications");
      await settled(page);
      await page.getByRole("button", { name: "Register an application" }).click();
      await page.getByRole("form", { name: "Register an application" }).waitFor();
      await settled(page);
      expect(await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)).toBe(false);
      await checkClean(page, "10-packager-register-phone");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
