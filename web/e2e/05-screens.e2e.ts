import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, type DemoUser, h1, jsProblems, launch, newPage, RESULTS, RUN, settled, signIn } from "./support";

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function as(user: DemoUser, body: (page: Page, context: BrowserContext) => Promise<void>) {
  const { page, context } = await newPage(browser);
  try {
    await signIn(page, user);
    await settled(page);
    await body(page, context);
    expect(jsProblems(page)).toEqual([]);
  } catch (error) {
    await page.screenshot({ path: join(RESULTS, `FAILED-${user}-${Date.now()}.png`), fullPage: true }).catch(() => undefined);
    throw error;
  } finally {
    await context.close();
  }
}

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true }).click();

describe("applications", () => {
  it("lists, searches and filters the catalog; shows versions and artifacts", async () => {
    await as("packager", async (page) => {
      await nav(page, "Applications");
      await expect.poll(() => h1(page)).toBe("Applications");
      await settled(page);
      expect(await page.locator("tbody tr").count()).toBe(9); // 6 governance demo apps + 3 demo rollouts
      await check(page, "50-applications");
      await page.getByLabel("Search").fill("fire");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/q=fire/);
      await settled(page);
      await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
      await page.getByLabel("Search").fill("");
      await page.getByLabel("Category").selectOption("security");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL((u) => u.searchParams.get("category") === "security" && !u.searchParams.has("q"));
      await settled(page);
      await expect.poll(() => page.locator("tbody").textContent()).toContain("CrowdStrike Falcon Sensor");
      expect(await page.locator("tbody tr").count()).toBe(1);
      expect(await page.locator("tbody").textContent()).toContain("Yes (privileged)");
      await page.getByLabel("Category").selectOption("");
      await page.getByLabel("Search").fill("no such application");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/q=no/);
      await settled(page);
      await expect.poll(() => page.getByText("No application matches these filters.").count()).toBe(1);
      await check(page, "51-applications-empty");
      await page.getByRole("button", { name: "Clear" }).click();
      await settled(page);
      await page.getByRole("link", { name: "Mozilla Firefox ESR" }).click();
      await expect.poll(() => h1(page)).toBe("Mozilla Firefox ESR");
      await settled(page);
      const versions = page.getByRole("heading", { name: /^Version / });
      expect(await versions.count()).toBe(2);
      const artifacts = page.getByRole("table", { name: /Artifacts of version 128.6.0/ });
      const row = await artifacts.locator("tbody tr").first().textContent();
      expect(row).toMatch(/[0-9a-f]{64}/);
      expect(row).toContain("MSI");
      expect(row).toMatch(/KiB/);
      await check(page, "52-application-detail");
    });
  });
});

describe("intents list", () => {
  it("filters by state, application, ring and business unit, deep-linked", async () => {
    await as("cab", async (page) => {
      await page.goto("/intents?state=cancelled");
      await settled(page);
      const states = await page.locator("tbody [data-state]").evaluateAll((els) => els.map((e) => e.getAttribute("data-state")));
      expect(states.length).toBeGreaterThan(0);
      expect(new Set(states)).toEqual(new Set(["cancelled"]));
      expect(await page.getByLabel("State").inputValue()).toBe("cancelled");
      expect(await page.locator("tbody").textContent()).toContain("zoom-6-2-sales");
      await check(page, "53-intents-cancelled");
      await page.getByLabel("State").selectOption("");
      await page.getByLabel("Application").selectOption({ label: "7-Zip" });
      await page.getByLabel("Ring").selectOption("pilot");
      await page.getByLabel("Business unit").fill("engineering");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.waitForURL(/ring=pilot/);
      await settled(page);
      await expect.poll(() => page.locator("tbody").textContent()).toContain("7zip-24-9-engineering");
      expect(await page.locator("tbody tr").count()).toBe(1);
      await page.getByLabel("Ring").selectOption("global");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await settled(page);
      await expect.poll(() => page.getByText("No intent matches these filters.").count()).toBe(1);
    });
  });
});

describe("ledger", () => {
  it("lets an auditor verify the chain and export JSON lines", async () => {
    await as("auditor", async (page) => {
      await nav(page, "Ledger");
      await expect.poll(() => h1(page)).toBe("Ledger");
      await settled(page);
      await page.getByRole("button", { name: "Verify chain" }).click();
      const result = page.locator(".verify-result");
      await expect.poll(() => result.getAttribute("data-ok")).toBe("true");
      expect(await result.textContent()).toContain("Chain intact");
      expect(await result.textContent()).toMatch(/\d+ events checked/);
      await check(page, "60-ledger-verified");

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export JSON lines" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("fleetgate-ledger.jsonl");
      const path = await download.path();
      const lines = readFileSync(path, "utf8").trim().split("\n");
      expect(lines.length).toBeGreaterThan(10);
      const first = JSON.parse(lines[0] ?? "{}") as { sequence?: number; hash?: string };
      expect(first.sequence).toBe(1);
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      await expect.poll(() => page.getByText(/Exported [\d,]+ bytes/).count()).toBe(1);

      // Filters: by action prefix and by actor; the table follows.
      await page.getByLabel("Action starts with").fill("intent.created");
      await page.getByLabel("Actor (username)").fill("globex-publisher");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await settled(page);
      await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
      expect(await page.locator("tbody").textContent()).toContain("globex-publisher");
      await check(page, "61-ledger-filtered");
      await page.getByLabel("Actor (username)").fill("nobody-at-all");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await settled(page);
      await expect.poll(() => page.getByText("No event matches these filters.").count()).toBe(1);
    });
  });

  it("pages through the stream with cursors", async () => {
    await as("security", async (page) => {
      await page.goto("/ledger");
      await settled(page);
      // Small pages make the cursor paging visible on demo data.
      await page.getByLabel("Rows per page").selectOption("25");
      await page.waitForURL(/page_size=25/);
      await settled(page);
      await expect.poll(() => page.locator("tbody tr").count()).toBe(25);
      const firstPage = await page.locator("tbody tr td:first-child").allTextContents();
      const next = page.getByRole("button", { name: "Next page →" });
      expect(await page.getByRole("button", { name: "← Previous page" }).isDisabled()).toBe(true);
      await next.click();
      await page.waitForURL(/cursor=/);
      await settled(page);
      await expect
        .poll(async () => Number(await page.locator("tbody tr td:first-child").first().textContent()))
        .toBe(Number(firstPage[24]) - 1);
      await check(page, "62-ledger-page-2");
      await page.getByRole("button", { name: "← Previous page" }).click();
      await settled(page);
      await expect.poll(() => page.locator("tbody tr td:first-child").first().textContent()).toBe(firstPage[0]);
    });
  });
});

describe("settings (Platform Admin)", () => {
  it("shows users with roles and scopes, edits roles and creates a user", async () => {
    await as("admin", async (page) => {
      await nav(page, "Settings");
      await page.waitForURL(/\/settings\/users$/);
      await settled(page);
      const table = page.getByRole("table", { name: /Users/ });
      expect(await table.textContent()).toContain("Publisher @ acme / engineering, finance, sales");
      await check(page, "70-settings-users");

      await page.getByLabel("Username").fill(`e2e-user-${RUN}`);
      await page.getByLabel("Initial password (12+ characters)").fill("a-long-enough-passphrase-1");
      await page.getByLabel("Role 1").selectOption("endpoint_ops");
      await page.getByLabel("Scope 1: boundary").selectOption("acme");
      await page.getByRole("button", { name: "Create user" }).click();
      await expect.poll(() => page.getByText(`User e2e-user-${RUN} created.`).count()).toBe(1);
      await expect.poll(() => table.textContent()).toContain(`e2e-user-${RUN}`);

      await page.getByRole("button", { name: `Edit roles of e2e-user-${RUN}` }).click();
      const editor = page.getByRole("region", { name: `Roles and scopes of e2e-user-${RUN}` });
      await editor.getByRole("button", { name: "Add a role" }).click();
      await editor.getByLabel("Role 2").selectOption("auditor");
      await check(page, "71-settings-edit-roles");
      await editor.getByRole("button", { name: "Save roles" }).click();
      await expect.poll(() => page.getByRole("row", { name: new RegExp(`e2e-user-${RUN}`) }).textContent()).toContain("Auditor @ *");
    });
  });

  it("creates an API token, shows it once, and revokes it", async () => {
    await as("admin", async (page) => {
      await page.goto("/settings/tokens");
      await settled(page);
      await page.getByLabel("Name").fill(`e2e-token-${RUN}`);
      // a token for another person is refused (separation of duties); the admin's own is the default
      expect(await page.getByLabel("For user").locator("option", { hasText: "auditor" }).count()).toBe(0);
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = page.getByTestId("token-secret");
      await expect.poll(() => secret.textContent()).toMatch(/^fg_\w+_\S+$/);
      expect(await page.getByRole("alert").first().textContent()).toContain("shown only once");
      await check(page, "72-settings-token-shown-once");
      await page.getByRole("button", { name: "I have stored it" }).click();
      await expect.poll(() => secret.count()).toBe(0);
      const row = page.getByRole("row", { name: new RegExp(`e2e-token-${RUN}`) });
      expect(await row.textContent()).toContain("Active");
      await row.getByRole("button", { name: /Revoke token/ }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Revoke token" }).click();
      await expect.poll(() => row.textContent()).toContain("Revoked");
      await check(page, "73-settings-tokens");
    });
  });
});

describe("odds and ends", () => {
  it("shows a not-found screen for unknown routes, inside the app", async () => {
    await as("ops", async (page) => {
      await page.goto("/no/such/screen");
      await settled(page);
      await expect.poll(() => h1(page)).toBe("Page not found");
      await check(page, "80-not-found");
    });
  });
});
