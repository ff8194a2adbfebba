/**
 * Risk and the CAB discussion in the console, against the seeded demo: a Packaging Engineer assesses
 * the Firefox intent (declared factors in words, derived ones read-only), an Auditor replays the
 * assessment, a Security Reviewer proposes rubric versions that a CAB Approver approves or rejects, and a
 * Publisher @mentions the CAB Approver on the Falcon request, who is notified. Each job checks the
 * ledger event it writes and axe finds nothing, of any impact.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, checkClean, type DemoUser, h1, keepFailures, launch, ledgerEvents, RUN, settled } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

const as = (user: DemoUser, body: (page: Page, context: BrowserContext) => Promise<void>) => asUser(browser, user, body);

async function openIntent(page: Page, name: string, title: RegExp): Promise<void> {
  await page.goto(`/intents?q=${name}`);
  await settled(page);
  await page.getByRole("link", { name: title }).click();
  await expect.poll(() => h1(page)).toMatch(title);
  await settled(page);
}

async function openFalconReview(page: Page): Promise<void> {
  await page.goto("/cab");
  await settled(page);
  await page.getByRole("link", { name: "All requests" }).click();
  await settled(page);
  await page.getByRole("link", { name: /CrowdStrike Falcon Sensor 7\.18\.0/ }).first().click();
  await expect.poll(() => h1(page)).toBe("CAB review: CrowdStrike Falcon Sensor 7.18.0");
  await settled(page);
}

describe("risk", () => {
  it("a Packaging Engineer assesses with options in words and a justification each; others see why not", async () => {
    await as("publisher", async (page) => {
      await openIntent(page, "firefox-128-6-finance", /Firefox ESR 128\.6\.0/);
      expect(await page.getByTestId("assess-why-not").textContent()).toContain("Packaging Engineer or Security Reviewer");
      expect(await page.getByRole("button", { name: /Assess/ }).count()).toBe(0);
    });
    await as("packager", async (page) => {
      await openIntent(page, "firefox-128-6-finance", /Firefox ESR 128\.6\.0/);
      await page.getByRole("button", { name: /Assess (risk|again)…/ }).click();
      await settled(page);
      const derived = page.getByRole("table", { name: "Derived factors" });
      expect(await derived.textContent()).toContain("vulnerability scan findings");
      expect(await derived.textContent()).not.toContain("_"); // codes never shown
      const factors = page.locator("fieldset.risk-factor");
      expect(await factors.count()).toBe(4);
      await checkClean(page, "16a-risk-assess-form");
      // refused without justifications: every field named next to its factor
      for (let i = 0; i < 4; i++) await factors.nth(i).getByRole("radio").first().check();
      await page.getByRole("button", { name: "Record the assessment" }).click();
      await expect.poll(() => page.locator('textarea[aria-invalid="true"]').count()).toBe(4);
      for (let i = 0; i < 4; i++) await factors.nth(i).getByLabel(/Why this option/).fill(`Checked on the lab image, run ${RUN}.`);
      await page.getByRole("button", { name: "Record the assessment" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: /Assessed: risk \d+ of 100/ }).count()).toBe(1);
      const breakdown = page.getByTestId("risk-breakdown");
      expect(await breakdown.textContent()).toContain("Runs only as the signed-in user");
      await checkClean(page, "16b-risk-assessed");
      const [event] = await ledgerEvents(page, "risk.assessed", "packager");
      expect(event?.subject_type).toBe("intent");
      expect(JSON.stringify(event?.after)).toContain(`run ${RUN}`);
    });
  });

  it("an Auditor replays the assessment and it matches", async () => {
    await as("auditor", async (page) => {
      await openIntent(page, "7zip-24-9-engineering", /7-Zip 24\.9\.0/);
      expect(await page.getByRole("button", { name: /Assess/ }).count()).toBe(0);
      await page.getByRole("button", { name: "Replay this assessment" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "the same as recorded" }).count()).toBe(1);
      await checkClean(page, "16c-risk-replayed");
    });
  });

  it("a Security Reviewer proposes a rubric version; a CAB Approver approves it; the proposer cannot", async () => {
    await as("security", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Risk rubric", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Risk rubric versions");
      await settled(page);
      expect(await page.getByRole("table", { name: "Factors of rubric v1.0" }).textContent()).toContain("Fewer than 10 devices");
      await page.getByRole("button", { name: "Propose a new version…" }).click();
      const doc = page.getByLabel("Rubric document (JSON)");
      const proposal = JSON.parse(await doc.inputValue()) as { version: string; thresholds: { automated_max: number } };
      expect(proposal.version).toBe("1.1");
      proposal.thresholds.automated_max = 45;
      await doc.fill(JSON.stringify(proposal, null, 2));
      await page.getByLabel(/Why change the rubric/).fill(`Tighter CAB threshold after the Q3 review (${RUN}).`);
      await checkClean(page, "16d-rubric-propose");
      await page.getByRole("button", { name: "Propose this version" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Proposed rubric v1.1" }).count()).toBe(1);
      await expect.poll(() => page.getByText("Only a CAB Approver approves, activates or rejects a rubric version.").count()).toBeGreaterThan(0);
      expect(await page.getByRole("button", { name: "Approve v1.1…" }).count()).toBe(0);
      const [event] = await ledgerEvents(page, "risk_model.proposed", "security");
      expect(event?.subject_id).toBe("1.1");
    });
    await as("cab", async (page) => {
      await page.goto("/risk/rubrics");
      await settled(page);
      await page.getByRole("button", { name: "Approve v1.1…" }).click();
      await page.getByLabel(/Note \(recorded in the ledger\)/).fill("Reviewed with the board.");
      await checkClean(page, "16e-rubric-approve-dialog");
      await page.getByRole("button", { name: "Approve for parallel scoring" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Rubric v1.1 is now: Scored in parallel." }).count()).toBe(1);
      await checkClean(page, "16f-rubric-parallel");
      const [event] = await ledgerEvents(page, "risk_model.approved", "cab");
      expect(event?.subject_id).toBe("1.1");
    });
  });

  it("a CAB Approver rejects a proposed version with a reason; the proposer sees no Reject button", async () => {
    await as("security", async (page) => {
      await page.goto("/risk/rubrics");
      await settled(page);
      await page.getByRole("button", { name: "Propose a new version…" }).click();
      const doc = page.getByLabel("Rubric document (JSON)");
      const proposal = JSON.parse(await doc.inputValue()) as { version: string; thresholds: { automated_max: number } };
      proposal.version = "1.2";
      proposal.thresholds.automated_max = 40;
      await doc.fill(JSON.stringify(proposal, null, 2));
      await page.getByLabel(/Why change the rubric/).fill(`An even tighter threshold (${RUN}).`);
      await page.getByRole("button", { name: "Propose this version" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Proposed rubric v1.2" }).count()).toBe(1);
      expect(await page.getByRole("button", { name: /^Reject v/ }).count()).toBe(0);
    });
    await as("cab", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Risk rubric", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Risk rubric versions");
      await settled(page);
      const row = page.locator('tr[data-version="1.2"]');
      await row.getByRole("button", { name: "Reject v1.2…" }).click();
      const dialog = page.getByRole("dialog", { name: "Reject rubric v1.2?" });
      await dialog.getByRole("button", { name: "Reject this version" }).click();
      await expect.poll(() => dialog.getByText("Give a reason; it is recorded in the ledger.").count()).toBe(1);
      await checkClean(page, "16h-rubric-reject-dialog");
      await dialog.getByLabel(/Why is it rejected\?/).fill(`One threshold change at a time (${RUN}).`);
      await dialog.getByRole("button", { name: "Reject this version" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Rubric v1.2 is now: Rejected." }).count()).toBe(1);
      await expect.poll(() => row.getAttribute("data-state")).toBe("rejected");
      expect(await row.textContent()).toContain(`Rejected by cab: One threshold change at a time (${RUN}).`);
      expect(await row.getByRole("button", { name: /Reject|Approve|Activate/ }).count()).toBe(0);
      await checkClean(page, "16i-rubric-rejected");
      const [event] = await ledgerEvents(page, "risk_model.rejected", "cab");
      expect(event?.subject_id).toBe("1.2");
      expect(event?.after?.state).toBe("rejected");
      expect(JSON.stringify(event)).toContain(`One threshold change at a time (${RUN}).`); // the event's reason
    });
  });
});

describe("CAB discussion", () => {
  it("a Publisher mentions the CAB Approver with the keyboard; an unknown name is refused; the approver is notified", async () => {
    await as("publisher", async (page) => {
      await openFalconReview(page);
      const box = page.getByLabel("Add a comment");
      await box.fill("@nobody-at-all please look");
      await page.getByRole("button", { name: "Post comment" }).click();
      await expect.poll(() => page.getByText(/@nobody-at-all is not someone who can read this request/).count()).toBeGreaterThan(0);
      await box.fill("");
      await box.pressSequentially(`Rollback was tested twice in the lab (${RUN}). `);
      await box.pressSequentially("@ca");
      const list = page.getByRole("listbox", { name: "People to mention" });
      await list.waitFor();
      await checkClean(page, "16g-cab-mention-picker");
      const names = await list.getByRole("option").allTextContents();
      const index = names.findIndex((n) => n.startsWith("@cab "));
      expect(index).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < index; i++) await box.press("ArrowDown");
      await box.press("Enter");
      expect(await box.inputValue()).toMatch(/@cab $/);
      await box.pressSequentially("can you confirm the window?");
      await page.getByRole("button", { name: "Post comment" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "@cab will be notified" }).count()).toBe(1);
      await expect.poll(() => page.locator(".comment").filter({ hasText: RUN }).count()).toBe(1);
      await checkClean(page, "16h-cab-comment-posted");
      const [event] = await ledgerEvents(page, "cab_comment.added", "publisher");
      expect(event?.subject_type).toBe("cab_request");
      expect(event?.after?.mentions).toEqual(["cab"]);
    });
    await as("cab", async (page) => {
      const response = await page.request.get("/api/v1/notifications/?event=cab.comment_mention");
      const notes = ((await response.json()) as { results: { payload: { by?: string; excerpt?: string } }[] }).results;
      expect(notes.some((n) => n.payload.by === "publisher" && n.payload.excerpt?.includes(RUN))).toBe(true);
    });
    await as("auditor", async (page) => {
      await openFalconReview(page);
      expect(await page.getByText("Auditors read the discussion; they do not take part in it.").count()).toBe(1);
      expect(await page.getByLabel("Add a comment").count()).toBe(0);
      await checkClean(page, "16j-cab-discussion-auditor");
    });
  });
});
