import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { check, h1, jsProblems, keepFailures, launch, newPage, RUN, settled, signIn } from "./support";

// Runs against `fleetgate up --demo` (e2e/run.mjs, phase "demo"): the simulated planes with one
// connector each and the demo engine tick (1 s = 1 policy hour). The seeded rollouts move on their
// own: chrome (Intune + Jamf) ring by ring, notepadpp halting at Pilot and rolling back, slack
// awaiting judgment at Canary (12 devices, under min_sample 30).
// Waiting for the demo to reach a state takes up to a few minutes of real time.
vi.setConfig({ testTimeout: 240_000 });
let browser: Browser;
const pages: Page[] = [];
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures(() => pages);

const CHROME = "Google Chrome 131.0.0 to engineering";
const NPP = "Notepad++ 8.7.0 to finance";
const SLACK = "Slack 4.41.0 to sales";
const status = (page: Page) => page.locator(".rollout-view > p [data-badge]").first().getAttribute("data-badge");

async function open(user: Parameters<typeof signIn>[1]) {
  const { page, context } = await newPage(browser);
  pages.push(page);
  await signIn(page, user);
  await settled(page);
  return { page, context };
}

/** Open a rollout's intent from the Rollouts page (any tab) by its title. */
async function openRollout(page: Page, title: string, view = "active") {
  await page.goto(`/rollouts?view=${view}`);
  await page.getByRole("link", { name: title }).click();
  await expect.poll(() => h1(page)).toBe(title);
  await page.getByRole("list", { name: "Rings, from Lab to Global" }).waitFor({ timeout: 20_000 });
  await settled(page);
}

/** Wait (the demo moves on its own) until a tab lists a rollout. */
async function waitInTab(page: Page, view: string, title: string, timeout = 150_000) {
  await page.goto(`/rollouts?view=${view}`);
  await page.getByRole("link", { name: title }).waitFor({ timeout });
}

describe("rollouts on the simulated planes", () => {
  it("lists the demo rollouts per tab, with the demo clock and the freeze state", async () => {
    const { page, context } = await open("publisher");
    try {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rollouts", exact: true }).click();
      await expect.poll(() => h1(page)).toBe("Rollouts");
      const tabs = page.getByRole("navigation", { name: "Rollout views" });
      await expect.poll(() => tabs.getByRole("link").allTextContents()).toEqual([
        "All active",
        "Awaiting judgment",
        "Halted or paused",
        "Rolling back",
        "Finished",
      ]);
      for (const title of [CHROME, NPP, SLACK]) await page.getByRole("link", { name: title }).waitFor({ timeout: 30_000 });
      await expect.poll(() => page.locator("[data-demo-clock]").textContent()).toMatch(/Demo clock: 1 s = 1 h/);
      await expect.poll(() => page.getByRole("region", { name: "Change freeze" }).textContent()).toMatch(/No change freeze/);
      // A publisher sees the freeze, not its switch.
      expect(await page.getByRole("button", { name: /change freeze/ }).count()).toBe(0);
      await check(page, "rollouts-active");
      await tabs.getByRole("link", { name: "Finished" }).click();
      await expect.poll(() => page.getByRole("link", { name: "Finished" }).getAttribute("aria-current")).toBe("page");
      await settled(page);
      await check(page, "rollouts-finished");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("pauses chrome with a reason and resumes it, showing each job's outcome and log", async () => {
    const { page, context } = await open("publisher");
    try {
      await openRollout(page, CHROME);
      await expect.poll(() => page.locator("[data-demo-clock]").first().textContent()).toMatch(/Demo clock: 1 s = 1 h/);
      // Two planes, each with its own counts, in the ring that was assigned first.
      const lab = page.locator('li.ring-run[data-ring="lab"]');
      await expect.poll(() => lab.getByRole("table", { name: "Lab per plane" }).textContent()).toMatch(/demo-intune.*demo-jamf|demo-jamf.*demo-intune/s);
      await expect.poll(() => lab.textContent()).toMatch(/\d+ installed · \d+ failed · \d+ pending/);
      const controls = page.getByRole("group", { name: "Rollout controls" });
      await expect.poll(() => controls.getByRole("button").allTextContents()).toEqual(expect.arrayContaining(["Pause…", "Halt…", "Roll back…"]));
      await check(page, "rollout-chrome-running");

      const reason = `e2e pause ${RUN}`;
      await controls.getByRole("button", { name: "Pause…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel(/Reason \(recorded in the ledger\)/).fill(reason);
      await check(page, "rollout-pause-dialog");
      await dialog.getByRole("button", { name: "Pause", exact: true }).click();
      const job = page.locator(".job-outcome");
      await expect.poll(() => job.getAttribute("data-job-status"), { timeout: 30_000 }).toBe("succeeded");
      await expect.poll(() => job.textContent()).toContain(`rollout paused: ${reason}`);
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe("paused");
      await expect.poll(() => controls.getByRole("button").allTextContents()).toContain("Resume…");
      await expect.poll(() => page.locator(".rollout-timeline").textContent(), { timeout: 15_000 }).toContain(reason);
      await check(page, "rollout-chrome-paused");

      await controls.getByRole("button", { name: "Resume…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Resume", exact: true }).click();
      await expect.poll(() => page.locator(".job-outcome").textContent(), { timeout: 30_000 }).toMatch(/Resume accepted.*Succeeded/s);
      await expect.poll(() => page.locator(".job-outcome").textContent()).toMatch(/rollout (running|completed)/);
      await expect.poll(() => status(page), { timeout: 15_000 }).not.toBe("paused");
      await check(page, "rollout-chrome-resumed");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("shows an auditor the rollout with no control", async () => {
    const { page, context } = await open("auditor");
    try {
      await openRollout(page, CHROME, "active");
      expect(await page.getByRole("group", { name: "Rollout controls" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /Pause|Halt|Roll back|Promote|Resume/ }).count()).toBe(0);
      await check(page, "rollout-auditor");
    } finally {
      await context.close();
    }
  });

  it("a publisher's Promote of slack, awaiting judgment, is refused for separation of duties", async () => {
    const { page, context } = await open("publisher");
    try {
      await waitInTab(page, "judgment", SLACK);
      await check(page, "rollouts-judgment");
      await page.getByRole("link", { name: SLACK }).click();
      await page.getByRole("list", { name: "Rings, from Lab to Global" }).waitFor({ timeout: 20_000 });
      await settled(page);
      expect(await status(page)).toBe("awaiting_judgment");
      const canary = page.locator('li.ring-run[data-ring="canary"]');
      await expect.poll(() => canary.locator('[data-gate="success_rate"]').getAttribute("data-outcome")).toBe("inconclusive");
      await expect.poll(() => canary.locator('[data-gate="success_rate"]').textContent()).toMatch(/min_sample 30/);
      const controls = page.getByRole("group", { name: "Rollout controls" });
      await expect.poll(() => controls.getByRole("button").allTextContents()).toEqual(
        expect.arrayContaining(["Promote…", "Pause…", "Halt…", "Roll back…"]),
      );
      await controls.getByRole("button", { name: "Promote…" }).click();
      const dialog = page.getByRole("dialog");
      // The reason is required: an empty one is refused before anything is sent.
      await dialog.getByRole("button", { name: "Promote", exact: true }).click();
      await expect.poll(() => dialog.textContent()).toContain("Give a reason");
      await dialog.getByLabel(/Reason/).fill("Twelve devices all installed; judging it good.");
      await dialog.getByRole("button", { name: "Promote", exact: true }).click();
      const alert = page.locator('.alert-error[role="alert"][data-code="separation-of-duties"]');
      await alert.waitFor({ timeout: 15_000 });
      await expect.poll(() => alert.textContent()).toMatch(/keeps these duties apart: ask another authorised person/);
      expect(await status(page)).toBe("awaiting_judgment");
      await check(page, "rollout-promote-separation-of-duties");
    } finally {
      await context.close();
    }
  });

  it("shows notepadpp's Pilot failures by error code, the success-rate interval and the rollback in the timeline", async () => {
    const { page, context } = await open("ops");
    try {
      await waitInTab(page, "finished", NPP, 180_000);
      await page.getByRole("link", { name: NPP }).click();
      await page.getByRole("list", { name: "Rings, from Lab to Global" }).waitFor({ timeout: 20_000 });
      await settled(page);
      const pilot = page.locator('li.ring-run[data-ring="pilot"]');
      await pilot.getByText(/Failures by error code/).click();
      await expect.poll(() => pilot.locator(".error-groups").textContent()).toMatch(/1603/);
      await pilot.getByText("Gates of Pilot").click();
      await expect.poll(() => pilot.locator('[data-gate="success_rate"]').textContent()).toMatch(/interval \d+\.\d % to \d+\.\d %/);
      const timeline = page.locator(".rollout-timeline");
      await expect.poll(() => timeline.textContent()).toMatch(/Promoted Lab → Canary/);
      await expect.poll(() => timeline.textContent()).toMatch(/Pilot: Success rate fail/);
      await expect.poll(() => timeline.textContent()).toMatch(/Halted at Pilot/);
      await expect.poll(() => timeline.textContent()).toMatch(/Rollout rolled back/);
      await check(page, "rollout-notepadpp-rolled-back");
    } finally {
      await context.close();
    }
  });

  it("opens an incident against an intent with a priority and resolves it", async () => {
    const { page, context } = await open("ops");
    try {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Incidents" }).click();
      await expect.poll(() => h1(page)).toBe("Incidents");
      await settled(page);
      await check(page, "incidents-empty");
      const title = `Crash on launch ${RUN}`;
      const form = page.getByRole("form", { name: "Open an incident" }); // the list's filters have a Priority too
      await form.getByLabel("Intent", { exact: true }).selectOption({ label: `${SLACK} (slack-4-41-sales)` });
      await form.getByLabel("Priority", { exact: true }).selectOption("P1");
      await form.getByLabel("Title").fill(title);
      await page.getByRole("button", { name: "Open incident" }).click();
      const row = page.locator(`tr[data-incident="${title}"]`);
      await row.waitFor();
      await expect.poll(() => row.textContent()).toMatch(/P1.*Open/s);
      await check(page, "incidents-open");
      await row.getByRole("button", { name: /Resolve/ }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel(/Resolution/).fill("Vendor hotfix applied.");
      await dialog.getByRole("button", { name: "Resolve incident" }).click();
      await expect.poll(() => row.textContent()).toMatch(/Resolved/);
      await check(page, "incidents-resolved");
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("a Platform Admin adds and deactivates a window, and turns the change freeze on and off", async () => {
    const { page, context } = await open("admin");
    try {
      await page.goto("/windows");
      await expect.poll(() => h1(page)).toBe("Maintenance windows");
      await settled(page);
      const name = `Saturday night ${RUN}`;
      const form = page.getByRole("form", { name: /Add a maintenance window/ });
      await form.getByLabel("Name").fill(name);
      await form.getByLabel("Kind", { exact: true }).selectOption("blackout");
      await form.getByLabel("Boundary", { exact: true }).selectOption("acme");
      await form.getByLabel("Business unit", { exact: true }).selectOption("finance");
      await form.getByLabel("Time zone").selectOption("Europe/Berlin");
      await form.getByLabel(/First occurrence/).fill("2027-01-02T22:00");
      await form.getByLabel("Duration (minutes)").fill("180");
      await form.getByLabel(/Repeats/).fill("FREQ=WEEKLY;BYDAY=SA");
      await form.getByRole("button", { name: "Add", exact: true }).click();
      const row = page.locator(`tr[data-window="${name}"]`);
      await row.waitFor();
      await expect.poll(() => row.textContent()).toMatch(/Blackout.*acme \/ finance.*Europe\/Berlin.*FREQ=WEEKLY;BYDAY=SA.*Active/s);
      await check(page, "windows-added");
      await row.getByRole("button", { name: /Deactivate/ }).click();
      await page.getByRole("dialog").getByLabel(/Reason/).fill("Superseded by the holiday calendar.");
      await page.getByRole("dialog").getByRole("button", { name: "Deactivate" }).click();
      await expect.poll(() => row.count()).toBe(0); // the list shows active windows
      await page.getByLabel("Shown").selectOption("false");
      await expect.poll(() => page.locator(`tr[data-window="${name}"]`).textContent()).toMatch(/Deactivated/);

      await page.goto("/rollouts");
      await settled(page);
      const freeze = page.getByRole("region", { name: "Change freeze" });
      await freeze.getByRole("button", { name: "Start a change freeze…" }).click();
      await page.getByRole("dialog").getByLabel(/Reason/).fill(`Quarter close ${RUN}`);
      await page.getByRole("dialog").getByRole("button", { name: "Start the freeze" }).click();
      await expect.poll(() => freeze.textContent()).toMatch(new RegExp(`Change freeze is on.*Quarter close ${RUN}`, "s"));
      await check(page, "rollouts-freeze-on");
      await freeze.getByRole("button", { name: "Lift the change freeze…" }).click();
      await page.getByRole("dialog").getByLabel(/Reason/).fill("Quarter closed.");
      await page.getByRole("dialog").getByRole("button", { name: "Lift the freeze" }).click();
      await expect.poll(() => freeze.textContent()).toMatch(/No change freeze/);
      expect(jsProblems(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
