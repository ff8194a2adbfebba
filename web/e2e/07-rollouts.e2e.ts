import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, jsProblems, launch, newPage, RESULTS, settled, signIn } from "./support";

// The e2e server runs without simulators, so no rollout advances here: this covers the Rollouts
// list (nav, tabs, empty or listed state, axe) and the intent's rollout section before start (the plan).
let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();

describe("rollouts", () => {
  it("lists rollouts from the nav and shows an approved intent's plan or rollout", async () => {
    const { page, context } = await newPage(browser);
    try {
      await signIn(page, "publisher");
      await settled(page);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rollouts", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Rollouts");
      await settled(page);
      await expect.poll(async () => (await page.locator("tbody tr").count()) + (await page.locator(".empty").count())).toBeGreaterThan(0);
      await page.getByRole("link", { name: "Awaiting judgment" }).click();
      await settled(page);
      await check(page, "rollouts-list");

      await page.goto("/intents?state=approved");
      await settled(page);
      const first = page.locator("tbody tr a").first();
      if ((await first.count()) > 0) {
        await first.click();
        await page.getByRole("heading", { name: "Rollout", exact: true }).waitFor();
        await settled(page);
        // Before start the dry plan is shown; after start the ring runs.
        await expect
          .poll(async () => (await page.getByText(/Expected timeline, ring by ring/).count()) + (await page.getByRole("list", { name: /Rings, from Lab/ }).count()))
          .toBeGreaterThan(0);
        await check(page, "rollout-view");
      }
      expect(jsProblems(page)).toEqual([]);
    } catch (error) {
      await page.screenshot({ path: join(RESULTS, `FAILED-rollouts-${Date.now()}.png`), fullPage: true }).catch(() => undefined);
      throw error;
    } finally {
      await context.close();
    }
  });
});
