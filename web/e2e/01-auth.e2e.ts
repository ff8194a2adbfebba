import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, jsProblems, launch, newPage, settled, signIn, signOut, keepFailures } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});
keepFailures();

describe("signing in and out", () => {
  it("shows the sign-in page and refuses a wrong password plainly", async () => {
    const { page, context } = await newPage(browser);
    await page.goto("/");
    await page.waitForURL("**/login");
    await expect.poll(() => page.getByRole("heading", { name: "Sign in" }).isVisible()).toBe(true);
    await check(page, "01-sign-in");
    await page.getByLabel("Username").fill("auditor");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("Wrong username or password");
    await check(page, "01-sign-in-wrong-password");
    expect(jsProblems(page)).toEqual([]);
    await context.close();
  });

  it("signs in, shows who I am with roles and scopes, and signs out", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, "publisher");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Dashboard");
    await check(page, "02-dashboard-publisher");
    await page.getByRole("link", { name: /publisher/ }).first().click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("My account");
    const table = page.getByRole("table", { name: "Your roles and where each applies" });
    await expect.poll(() => table.textContent()).toContain("Publisher");
    await expect.poll(() => table.textContent()).toContain("engineering, finance, sales");
    await expect.poll(() => table.textContent()).toContain("boundary acme");
    await check(page, "03-who-am-i");
    await signOut(page);
    await page.goto("/intents");
    await page.waitForURL("**/login?next=%2Fintents");
    expect(jsProblems(page)).toEqual([]);
    await context.close();
  });

  it("a deep link while signed out leads through sign-in back to the link", async () => {
    const { page, context } = await newPage(browser);
    await page.goto("/ledger?action=intent.");
    await page.waitForURL(/\/login\?next=/);
    await signIn(page, "auditor", { from: "here" });
    await page.waitForURL((u) => u.pathname === "/ledger" && u.search === "?action=intent.");
    await expect.poll(() => page.getByLabel("Action starts with").inputValue()).toBe("intent.");
    await context.close();
  });

  it("an expired session returns to sign-in, then to where I was", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, "ops");
    await settled(page);
    // The server forgets the session (expiry, sign-out elsewhere): the next API call gets 401.
    await context.clearCookies();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Applications" }).click();
    await page.waitForURL((u) => u.pathname === "/login" && u.searchParams.get("expired") === "1");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/applications");
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("Your session has ended");
    await check(page, "04-session-expired");
    await signIn(page, "ops", { from: "here" });
    await page.waitForURL((u) => u.pathname === "/applications");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Applications");
    await context.close();
  });
});
