/**
 * Every main page at phone size (390 × 844): nothing scrolls sideways (tables scroll inside their own
 * focusable region, never the page) and axe finds no violation of any impact. One job is done on the
 * phone too: a Publisher comments on a CAB request, and the ledger records it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, type DemoUser, h1, keepFailures, launch, RESULTS, RUN, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const PHONE = { width: 390, height: 844 };

const onPhone = (user: DemoUser, body: (page: Page, context: BrowserContext) => Promise<void>) =>
  asUser(browser, user, async (page, context) => {
    await page.setViewportSize(PHONE);
    await body(page, context);
  });

/** What is wrong with the page at phone size: sideways scroll (naming what sticks out) and axe findings of any impact. */
async function misfits(page: Page, name: string): Promise<string[]> {
  await settled(page);
  const widths = await page.evaluate(() => ({
    scroll: document.scrollingElement?.scrollWidth ?? 0,
    inner: window.innerWidth,
    wide: [...document.querySelectorAll<HTMLElement>("body *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5 && !el.closest(".table-wrap, .ring-track"))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  }));
  const out: string[] = [];
  if (widths.scroll > widths.inner) out.push(`${name}: scrolls sideways (${widths.scroll} > ${widths.inner}); too wide: ${widths.wide.join(", ")}`);
  try {
    await check(page, `17-${name}`); // screenshot; fails on serious/critical
  } catch {
    /* listed below with the rest */
  }
  const report = JSON.parse(readFileSync(join(RESULTS, "axe", `17-${name}.json`), "utf8")) as { serious: { id: string }[]; other: { id: string }[] };
  for (const v of [...report.serious, ...report.other]) out.push(`${name}: axe ${v.id} (see test-results/axe/17-${name}.json)`);
  return out;
}

async function fits(page: Page, name: string): Promise<void> {
  expect(await misfits(page, name)).toEqual([]);
}

describe("phone size", () => {
  it("every main page a Platform Admin reaches fits and passes axe", async () => {
    await onPhone("admin", async (page) => {
      const problems: string[] = [];
      for (const [path, name] of [
        ["/", "dashboard"],
        ["/notifications", "notifications"],
        ["/applications", "applications"],
        ["/intents", "intents"],
        ["/cab", "cab-queue"],
        ["/exceptions", "exceptions"],
        ["/risk/rubrics", "risk-rubrics"],
        ["/rollouts", "rollouts"],
        ["/incidents", "incidents"],
        ["/drift", "drift"],
        ["/windows", "windows"],
        ["/connectors", "connectors"],
        ["/ledger", "ledger"],
        ["/components", "components"],
        ["/trusted-keys", "trusted-keys"],
        ["/settings/users", "settings"],
        ["/webhooks", "webhooks"],
        ["/me", "my-account"],
      ] as const) {
        await page.goto(path);
        problems.push(...(await misfits(page, name)));
      }
      expect(problems).toEqual([]);
    });
  }, 300_000); // 18 pages, each with axe, on a loaded machine

  it("detail pages fit, and a Publisher comments on a CAB request from the phone", async () => {
    await onPhone("publisher", async (page) => {
      await page.goto("/intents?q=7zip-24-9-engineering");
      await settled(page);
      await page.getByRole("link", { name: /7-Zip 24\.9\.0/ }).click();
      await expect.poll(() => h1(page)).toContain("7-Zip");
      await fits(page, "intent-detail");
      await page.goto("/applications");
      await settled(page);
      await page.getByRole("link", { name: "7-Zip", exact: true }).click();
      await expect.poll(() => h1(page)).toContain("7-Zip");
      await fits(page, "application-detail");
      await page.goto("/ledger/1");
      await fits(page, "ledger-event");
      await page.goto("/cab");
      await settled(page);
      await page.getByRole("link", { name: "All requests" }).click();
      await settled(page);
      await page.getByRole("link", { name: /CrowdStrike Falcon Sensor 7\.18\.0/ }).first().click();
      await expect.poll(() => h1(page)).toBe("CAB review: CrowdStrike Falcon Sensor 7.18.0");
      await fits(page, "cab-review");
      await page.getByLabel("Add a comment").fill(`Checked on a phone (${RUN}).`);
      await page.getByRole("button", { name: "Post comment" }).click();
      await expect.poll(() => page.locator(".comment").filter({ hasText: `phone (${RUN})` }).count()).toBe(1);
      await fits(page, "cab-review-commented");
      const response = await page.request.get(`/api/v1/ledger/?${new URLSearchParams({ action: "cab_comment.added", actor: "publisher" })}`);
      const events = ((await response.json()) as { results: { after: { body?: string } | null }[] }).results;
      expect(events.some((e) => e.after?.body === `Checked on a phone (${RUN}).`)).toBe(true);
    });
  }, 180_000);
});
