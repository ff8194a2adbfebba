/**
 * Dual control in the web UI: a Platform Admin alone is told, in a sentence with a link, that a deciding
 * role needs a second Platform Admin; files the request; sees it pending with the reason they cannot
 * approve it themselves (before clicking); a second Platform Admin approves it with a note.
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, h1, jsProblems, keepFailures, launch, newPage, settled, signIn } from "./support";

const repo = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const PASSWORD = "second-admin-e2e-password";

/** The host operator makes the second Platform Admin and the newcomer (as `fleetgate user create` does). */
function hostUser(username: string, role: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, FLEETGATE_DATA_DIR: process.env.FLEETGATE_E2E_DATA_DIR, FLEETGATE_LOG_LEVEL: "WARNING" };
  delete env.FLEETGATE_DATABASE_URL;
  delete env.FLEETGATE_REDIS_URL;
  const bin = process.env.FLEETGATE_BIN || join(repo, ".venv", "bin", "fleetgate");
  const r = spawnSync(bin, ["user", "create", username, "--role", role, "--password", PASSWORD], { env, cwd: repo, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`fleetgate user create ${username} failed:\n${r.stdout}\n${r.stderr}`);
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
  hostUser("admin2", "platform_admin");
  hostUser("newcomer", "auditor");
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();


async function addCabApproverToNewcomer(page: Page) {
  await page.goto("/settings/users");
  await settled(page);
  await page.getByRole("button", { name: "Edit roles of newcomer" }).click();
  const editor = page.getByRole("region", { name: "Roles and scopes of newcomer" });
  await editor.getByRole("button", { name: "Add a role" }).click();
  await editor.getByLabel("Role 2").selectOption("cab_approver");
  await editor.getByRole("button", { name: "Save roles" }).click();
  const refusal = page.locator('[data-code="dual-control"]');
  await expect.poll(() => refusal.count()).toBe(1);
  const text = (await refusal.textContent()) ?? "";
  expect(text).toContain("Granting CAB Approver to newcomer needs a second Platform Admin");
  expect(text, "the UI never tells anyone to run a command or call a URL").not.toMatch(/fleetgate |\/api\//);
  return refusal;
}

describe("role-grant requests (dual control)", () => {
  it("one admin files, is told why they cannot approve, a second admin approves", async () => {
    const first = await newPage(browser);
    let page = first.page;
    await signIn(page, "admin");
    await settled(page);

    let refusal = await addCabApproverToNewcomer(page);
    await check(page, "role-requests-refusal");
    await refusal.getByRole("link", { name: "Request CAB Approver for newcomer" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Role requests", level: 2 }).count()).toBe(1);
    await settled(page);
    expect(await page.getByLabel("Role", { exact: true }).inputValue()).toBe("cab_approver");
    expect(await page.getByLabel("For user").locator("option:checked").textContent()).toBe("newcomer");
    await page.getByLabel("Boundary", { exact: true }).selectOption("globex");
    await page.getByLabel(/Why the role is needed/).fill("Joins the globex change board.");
    await page.getByRole("button", { name: "File the request" }).click();
    await expect.poll(() => page.locator(".alert-success").textContent()).toContain("filed: CAB Approver for newcomer");

    const mine = page.getByRole("row", { name: /newcomer/ });
    await expect.poll(() => mine.textContent()).toContain("You filed this request, so another Platform Admin approves or rejects it");
    expect(await mine.getByRole("button", { name: /Approve request/ }).count(), "no approve button on one's own request").toBe(0);
    await check(page, "role-requests-pending-own");

    // Saving the role again now links to the request that is waiting.
    refusal = await addCabApproverToNewcomer(page);
    await refusal.getByRole("link", { name: "see the pending request" }).click();
    await expect.poll(() => page.locator("tr.row-target").count()).toBe(1);
    expect(await page.locator("tr.row-target").textContent()).toContain("newcomer");
    expect(jsProblems(page)).toEqual([]);
    await first.context.close();

    const second = await newPage(browser);
    page = second.page;
    await page.goto("/login");
    await page.getByLabel("Username").fill("admin2");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/login"));
    await page.goto("/settings/role-requests");
    await settled(page);
    await expect.poll(() => h1(page)).toBe("Settings");
    const row = page.getByRole("row", { name: /newcomer/ });
    await row.getByRole("button", { name: /Approve request/ }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/Note/).fill("Confirmed with the globex CAB chair.");
    await check(page, "role-requests-approve-dialog");
    await dialog.getByRole("button", { name: "Approve and grant" }).click();
    await expect.poll(() => page.getByRole("row", { name: /newcomer/ }).count()).toBe(0);
    await expect.poll(() => page.getByRole("region", { name: "Recently decided" }).textContent()).toContain("CAB Approver for newcomer");
    await check(page, "role-requests-decided");
    await page.goto("/settings/users");
    await settled(page);
    await expect.poll(() => page.getByRole("row", { name: /newcomer/ }).textContent()).toContain("CAB Approver @ globex");
    expect(jsProblems(page)).toEqual([]);
    await second.context.close();
  });
});
