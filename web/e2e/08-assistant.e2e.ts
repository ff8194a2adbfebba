/**
 * The assistant's side panel against the seeded demo (offline provider): on the CAB review, intent and
 * evidence pack of the falcon change, each with the actions that apply there; answers stream in and cite
 * their records as links; a drafted CAB note fills the submission form and is saved as drafted with it.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, type DemoUser, h1, keepFailures, launch, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const as = (user: DemoUser, body: (page: Page) => Promise<void>) => asUser(browser, user, body);

const panel = (page: Page, subject: string) => page.getByRole("complementary", { name: `Assistant · ${subject}` });

/** Ask one feature in a panel; the answer's article, once it has its sources. */
async function ask(page: Page, where: Locator, label: string): Promise<Locator> {
  expect(await where.getByRole("group", { name: "Ask the assistant" }).getByRole("button").allTextContents()).toContain(label);
  await where.getByRole("button", { name: label }).click();
  const article = where.getByRole("article", { name: label });
  await article
    .getByRole("list", { name: "Sources cited" })
    .waitFor()
    .catch(async (e: unknown) => {
      throw new Error(`${label}: no cited answer; the panel shows: ${await where.textContent()}`, { cause: e });
    });
  await settled(page);
  return article;
}

describe("the assistant side panel", () => {
  it("explains, summarises and drafts on the CAB review, intent and evidence pages", async () => {
    await as("packager", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CAB queue", exact: true }).click();
      await page.getByRole("link", { name: "All requests" }).click();
      await settled(page);
      await page.getByRole("link", { name: /CrowdStrike Falcon Sensor 7\.18\.0/ }).first().click();
      await expect.poll(() => h1(page)).toBe("CAB review: CrowdStrike Falcon Sensor 7.18.0");
      await settled(page);

      // CAB review: the request's assessment and pack, cited as links.
      const review = panel(page, "this CAB request");
      expect(await review.getByRole("button").allTextContents()).toEqual(["Explain risk", "Summarise evidence"]);
      const risk = await ask(page, review, "Explain risk");
      expect(await risk.textContent()).toMatch(/scores \d+\/100/);
      const sources = risk.getByRole("list", { name: "Sources cited" }).getByRole("link");
      expect(await sources.count()).toBeGreaterThan(0);
      expect(await sources.first().getAttribute("href")).toMatch(/^\/intents\//);
      await check(page, "97-assistant-cab-review");

      // The intent: a CAB note drafted by the assistant fills the submission form.
      await page.getByRole("link", { name: "falcon-7-18-sales", exact: true }).first().click();
      await expect.poll(() => h1(page)).toContain("alcon");
      await settled(page);
      const intent = panel(page, "this intent");
      await ask(page, intent, "Draft CAB note");
      await intent.getByRole("button", { name: "Use this draft" }).click();
      const form = page.getByRole("region", { name: "CAB submission" });
      expect(await form.getByRole("note").textContent()).toContain("Drafted with the assistant");
      const summary = form.getByLabel("Summary", { exact: true });
      expect(await summary.inputValue()).toContain("CrowdStrike Falcon Sensor 7.18.0");
      await summary.fill(`${await summary.inputValue()} Reviewed by the packager.`);
      await check(page, "98-assistant-draft-in-form");
      await form.getByRole("button", { name: "Save CAB submission" }).click();
      await expect
        .poll(() => form.getByRole("status").textContent())
        .toMatch(/CAB submission v\d+ saved, recorded as drafted with the assistant\./);

      // The evidence pack shown: its own panel summarises that version.
      const evidence = page.getByRole("complementary", { name: /^Assistant · evidence pack v\d+$/ });
      const summaryAnswer = await ask(page, evidence, "Summarise evidence");
      expect(await summaryAnswer.textContent()).toContain("Evidence pack v");
      await check(page, "99-assistant-evidence");
    });
  });
});
