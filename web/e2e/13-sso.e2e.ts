/**
 * Single sign-on in the browser, against a real OpenID provider (oidc-provider, started by e2e/run.mjs's
 * "sso" phase, Entra-like tid/oid): a Platform Admin maps a group to a role, a person signs in through the
 * provider and holds the role, is removed from the group at the provider, signs out (at the provider too)
 * and in again: the role is gone. A refused sign-in is said in words on the sign-in page.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, h1, jsProblems, keepFailures, launch, newPage, settled } from "./support";

const IDP = process.env.FLEETGATE_E2E_IDP ?? "";
const GROUP = "e2e-auditors";

let browser: Browser;
beforeAll(async () => {
  if (!IDP) throw new Error("13-sso runs in e2e/run.mjs's sso phase (FLEETGATE_E2E_IDP names the provider).");
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

async function setGroups(groups: string[]): Promise<void> {
  const r = await fetch(`${IDP}/admin/users/erin`, { method: "PUT", body: JSON.stringify({ groups }) });
  expect(r.ok).toBe(true);
}

/** Through the provider's own login and consent pages, back to Fleetgate. */
async function signInWithSso(page: Page): Promise<void> {
  await page.goto("/login");
  await page.getByRole("link", { name: "Sign in with Contoso (Entra ID)" }).click();
  await page.waitForURL((u) => u.href.startsWith(IDP));
  await page.locator('input[name="login"]').fill("erin");
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((u) => !u.href.startsWith(IDP) && !u.pathname.startsWith("/login"));
  await page.locator(".whoami-name", { hasText: /^erin$/ }).waitFor();
}

/** The roles on the person's own account page, and the server's answer to the very next request. */
async function rolesShown(page: Page): Promise<{ shown: string; held: string[] }> {
  await page.goto("/me");
  await settled(page);
  await page.getByRole("heading", { name: "Roles and scopes" }).waitFor();
  const shown = (await page.locator("main").textContent()) ?? "";
  const me = await page.evaluate(() => fetch("/api/v1/me/").then((r) => r.json()));
  return { shown, held: (me as { roles: { role: string }[] }).roles.map((g) => g.role) };
}

describe("single sign-on", () => {
  it("a Platform Admin maps a group to a role", async () => {
    await setGroups([GROUP]);
    await asUser(browser, "admin", async (page) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Single sign-on" }).click();
      await expect.poll(() => h1(page)).toBe("Single sign-on");
      await expect.poll(() => page.getByText("No mappings yet").isVisible()).toBe(true);
      await page.getByLabel("Group object id").fill(GROUP);
      await page.getByLabel("Role").selectOption("auditor");
      await page.getByRole("button", { name: "Add mapping" }).click();
      await expect.poll(() => page.getByText(`Group ${GROUP} now gives Auditor.`).isVisible()).toBe(true);
      await expect.poll(() => page.locator(`[data-mapping="${GROUP}"]`).count()).toBe(1);
      await check(page, "13-sso-mappings");
    });
  });

  it("signs in through the provider, takes the role from the group, and loses it once the group is gone", async () => {
    const { page, context } = await newPage(browser);
    // The provider's own pages import a web font from the internet, which this machine never reaches: an empty
    // stylesheet instead, so nothing leaves the machine and the page reports no failed load.
    await context.route("https://fonts.googleapis.com/**", (route) =>
      route.fulfill({ status: 200, contentType: "text/css", body: "" }),
    );
    await page.goto("/login");
    await expect.poll(() => page.getByRole("link", { name: "Sign in with Contoso (Entra ID)" }).isVisible()).toBe(true);
    await check(page, "13-sso-sign-in");
    await signInWithSso(page);
    const before = await rolesShown(page);
    expect(before.held).toEqual(["auditor"]);
    expect(before.shown).toContain("Auditor");

    await setGroups([]); // removed from the group at the provider
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((u) => u.href.startsWith(IDP)); // RP-initiated logout: the provider asks
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await page.waitForURL((u) => u.pathname.startsWith("/login"));

    await signInWithSso(page);
    const after = await rolesShown(page);
    expect(after.held).toEqual([]);
    expect(after.shown).not.toContain("Auditor");
    await check(page, "13-sso-role-gone");
    expect(jsProblems(page)).toEqual([]);
    await context.close();
  });

  it("a refused sign-in is said on the sign-in page", async () => {
    const { page, context } = await newPage(browser);
    await page.goto("/api/v1/auth/sso/callback/?code=forged&state=not-started-here");
    await page.waitForURL((u) => u.pathname === "/login");
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("Single sign-on did not sign you in");
    await expect.poll(() => alert.textContent()).toContain("Start the sign-in again");
    expect(await alert.getAttribute("data-code")).toBe("sso-invalid-state");
    await check(page, "13-sso-refused");
    await context.close();
  });
});
