/**
 * Evidence, risk, CAB, exceptions and connectors screens, against the seeded demo: the falcon
 * intent awaits CAB (privileged tooling), 7-Zip is approved without CAB, the Firefox artifact has
 * a pending vulnerability exception. The server runs without simulators, so no connector exists.
 */
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
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

const as = (user: DemoUser, body: (page: Page, context: BrowserContext) => Promise<void>) => asUser(browser, user, body);

const nav = (page: Page, name: string) =>
  page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });

async function openFalconReview(page: Page): Promise<string> {
  await nav(page, "CAB queue").click();
  await expect.poll(() => h1(page)).toBe("CAB queue");
  await page.getByRole("link", { name: "All requests" }).click();
  await settled(page);
  await page.getByRole("link", { name: /CrowdStrike Falcon Sensor 7\.18\.0/ }).click();
  await expect.poll(() => h1(page)).toBe("CAB review: CrowdStrike Falcon Sensor 7.18.0");
  await settled(page);
  return page.url();
}

/** A Platform Admin alone cannot hand out a deciding role (dual control): Settings shows the refusal. */
async function cabGrantIsRefused() {
  await as("admin", async (page) => {
    await page.goto("/settings/users");
    await settled(page);
    await page.getByRole("button", { name: "Edit roles of packager" }).click();
    const editor = page.getByRole("region", { name: "Roles and scopes of packager" });
    await editor.getByRole("button", { name: "Add a role" }).click();
    await editor.getByLabel("Role 2").selectOption("cab_approver");
    await editor.getByRole("button", { name: "Save roles" }).click();
    await expect.poll(() => page.getByText(/needs a second Platform Admin/).count()).toBeGreaterThan(0);
    await check(page, "90-cab-grant-needs-two-admins");
    const row = page.getByRole("row", { name: /packager/ }).first();
    expect(await row.textContent()).not.toContain("CAB Approver");
  });
}

describe("CAB", () => {
  it("queue and review; barred people are told why; a CAB approver approves", async () => {
    // Without the CAB Approver role there is nothing to decide with.
    await as("packager", async (page) => {
      await openFalconReview(page);
      expect(await page.getByRole("button", { name: "Approve…" }).count()).toBe(0);
    });

    // Nor can an administrator give the packager the role to approve its own change: dual control
    // (the conflicted-approver refusal itself is covered by the API and domain tests).
    await cabGrantIsRefused();

    await as("cab", async (page) => {
      await nav(page, "CAB queue").click();
      await expect.poll(() => h1(page)).toBe("CAB queue");
      await settled(page);
      // Pending for me: the falcon request.
      await expect.poll(() => page.locator("tbody").textContent()).toContain("falcon-7-18-sales");
      expect(await page.locator("tbody").textContent()).toContain("0 of 3 approvals");
      await check(page, "91-cab-queue-pending");
      await page.getByRole("link", { name: /CrowdStrike Falcon Sensor 7\.18\.0/ }).click();
      await expect.poll(() => h1(page)).toBe("CAB review: CrowdStrike Falcon Sensor 7.18.0");
      await settled(page);
      // Evidence summary, risk breakdown, scope, diff, decisions.
      expect(await page.getByTestId("risk-score").textContent()).toBe("30");
      expect(await page.getByTestId("risk-breakdown").textContent()).toContain("privileged tooling always needs CAB");
      expect(await page.locator('[data-section="signature"] [data-badge="verified"]').count()).toBe(1);
      expect(await page.locator('[data-section="sbom"] [data-badge="declared"]').count()).toBe(1);
      expect(await page.locator('[data-factor="blast_radius"] [data-badge="derived"]').count()).toBe(1);
      expect(await page.locator('[data-factor="privilege_impact"] [data-badge="declared"]').count()).toBe(1);
      expect(await page.getByTestId("quorum").textContent()).toContain("0 of 3 approvals");
      expect(await page.getByText("No previously approved change of this application").count()).toBe(1);
      await check(page, "92-cab-review");

      // Reject needs a reason (said inline, nothing sent).
      await page.getByRole("button", { name: "Reject…" }).click();
      let dialog = page.getByRole("dialog");
      await dialog.getByRole("button", { name: "Reject", exact: true }).click();
      await expect.poll(() => dialog.locator(".field-error").textContent()).toContain("A rejection needs a reason");
      await dialog.getByRole("button", { name: "Go back" }).click();

      // A condition laxer than policy: the 400 sits next to its field.
      await page.getByRole("button", { name: "Approve with conditions…" }).click();
      dialog = page.getByRole("dialog");
      await dialog.getByLabel("Minimum soak (hours)").fill("1");
      await dialog.getByRole("button", { name: "Approve with conditions" }).click();
      const soakError = dialog.locator("#f-conditions-min_soak_hours-error");
      await expect.poll(() => soakError.count()).toBe(1);
      expect(await soakError.textContent()).toContain("Must exceed the policy soak");
      expect(await dialog.getByLabel("Minimum soak (hours)").getAttribute("aria-invalid")).toBe("true");
      await check(page, "93-cab-conditional-field-error");
      await dialog.getByRole("button", { name: "Go back" }).click();

      // Approve: one of three approvals.
      await page.getByRole("button", { name: "Approve…" }).click();
      dialog = page.getByRole("dialog");
      await dialog.getByLabel("Reason (optional)").fill("Lab and Ring 0 clean; vendor-supported line.");
      await dialog.getByRole("button", { name: "Approve", exact: true }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Approved. The request is now Open (1 of 3 approvals)." }).count()).toBe(1);
      await expect.poll(() => page.getByTestId("quorum").textContent()).toContain("1 of 3 approvals");
      expect(await page.getByRole("table", { name: "Decisions" }).textContent()).toContain("cab");
      await check(page, "94-cab-review-approved-once");

      // Deciding twice is refused by the server and said plainly (one person counts once).
      await page.getByRole("button", { name: "Approve…" }).click();
      dialog = page.getByRole("dialog");
      await dialog.getByRole("button", { name: "Approve", exact: true }).click();
      await expect.poll(() => dialog.locator('[role="alert"][data-code="separation-of-duties"]').count()).toBe(1);
      expect(await dialog.getByTestId("refusal-rule").textContent()).toBe("one-person-once");
      await dialog.getByRole("button", { name: "Go back" }).click();
    });

    // A Platform Admin revokes the approval, with a reason; it stops counting.
    await as("admin", async (page) => {
      await openFalconReview(page);
      expect(await page.getByRole("button", { name: "Approve…" }).count()).toBe(0);
      await page.getByRole("button", { name: "Revoke decision by cab…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Reason (required)").fill("Approved against a superseded test plan.");
      await dialog.getByRole("button", { name: "Revoke approval" }).click();
      await expect.poll(() => page.getByRole("table", { name: "Decisions" }).textContent()).toContain("Revoked by admin");
      await expect.poll(() => page.getByTestId("quorum").textContent()).toContain("0 of 3 approvals");
      await check(page, "94a-cab-review-revoked");
    });
  });
});

describe("evidence and risk", () => {
  it("shows the risk breakdown and the sealed pack with verified/declared badges; verifies and downloads it", async () => {
    await as("auditor", async (page) => {
      await page.goto("/intents?q=7zip-24-9-engineering");
      await settled(page);
      await page.getByRole("link", { name: /7-Zip 24.9.0 to engineering/ }).click();
      await expect.poll(() => h1(page)).toContain("7-Zip");
      await settled(page);
      const risk = page.getByTestId("risk-breakdown");
      expect(await risk.textContent()).toContain("CAB not required");
      expect(await risk.locator('[data-badge="derived"]').count()).toBeGreaterThan(0);
      expect(await risk.locator('[data-badge="declared"]').count()).toBeGreaterThan(0);
      expect(await page.locator('[data-section="signature"] [data-badge="verified"]').count()).toBe(1);
      expect(await page.locator('[data-section="install_facts"] [data-badge="declared"]').count()).toBe(1);
      expect(await page.locator('[data-section="vulnerability_scan"]').textContent()).toMatch(/Critical: 0/);
      expect(await page.getByTestId("pack-gaps").textContent()).toContain("No gaps");
      await check(page, "95-intent-evidence-and-risk");

      await page.getByRole("button", { name: "Verify pack" }).click();
      const result = page.locator(".pack-verify-result");
      await expect.poll(() => result.getAttribute("data-ok")).toBe("true");
      expect(await result.locator('[data-check="seal-signature"]').getAttribute("data-ok")).toBe("true");
      expect(await result.locator("[data-check]").count()).toBeGreaterThan(3);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download sealed JSON" }).click(),
      ]);
      expect(download.suggestedFilename()).toBe("evidence-pack-7zip-24-9-engineering-v1.json");
      const sealed = JSON.parse(readFileSync(await download.path(), "utf8")) as { seal?: { sha256?: string } };
      expect(sealed.seal?.sha256).toMatch(/^[0-9a-f]{64}$/);
      await check(page, "96-intent-evidence-verified");
    });
  });

  it("finds the artifacts that contain a component", async () => {
    await as("security", async (page) => {
      await nav(page, "Components").click();
      await expect.poll(() => h1(page)).toBe("Components");
      await page.getByLabel("Component name").fill("zlib");
      await page.getByLabel("Version").fill("1.3.1");
      await page.getByRole("button", { name: "Search" }).click();
      await page.waitForURL(/name=zlib/);
      await settled(page);
      await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThan(1);
      expect(await page.locator("tbody").textContent()).toContain("CrowdStrike Falcon Sensor");
      await check(page, "97-components");
      await page.getByLabel("Component name").fill("no-such-component");
      await page.getByRole("button", { name: "Search" }).click();
      await settled(page);
      await expect.poll(() => page.getByText("No artifact contains this component.").count()).toBe(1);
    });
  });
});

describe("exceptions", () => {
  it("a Security Reviewer sees the pending exception and approves it", async () => {
    await as("security", async (page) => {
      await nav(page, "Exceptions").click();
      await expect.poll(() => h1(page)).toBe("Exceptions");
      await settled(page);
      const row = page.locator('tr[data-exception="CVE-2026-31337"]');
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain("Requested");
      expect(await row.textContent()).toContain("publisher");
      await check(page, "98-exceptions");
      await row.getByRole("button", { name: "Approve CVE-2026-31337…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Reason (optional)").fill("Plugin blocked fleet-wide; EDR rule in place.");
      await dialog.getByRole("button", { name: "Approve exception" }).click();
      await expect.poll(() => row.textContent()).toContain("Approved");
      expect(await page.getByRole("status").filter({ hasText: "Approved the vulnerability exception" }).count()).toBe(1);
      await check(page, "99-exceptions-approved");
    });
  });

  it("a Packaging Engineer's request with bad fields is answered inline", async () => {
    await as("packager", async (page) => {
      await page.goto("/exceptions");
      await settled(page);
      await page.getByLabel("Subject (finding id, gate or scope)").fill("CVE-2026-0001");
      await page.getByLabel("Justification").fill("Fixed upstream in the next minor; not reachable in our build.");
      await page.getByLabel("Compensating controls").fill("Feature disabled by policy; EDR watches the path.");
      await page.getByLabel("Owner (username)").fill("publisher");
      await page.getByLabel("Expires in (days, at most 90)").fill("120");
      await page.getByRole("button", { name: "Request exception" }).click();
      await expect.poll(() => page.locator("#f-expires_in_days-error").count()).toBe(1);
      expect(await page.locator("#f-artifact-error").textContent()).toContain("artifact");
      await check(page, "9a-exceptions-request-invalid");

      // Fixed: the artifact named, a short expiry.
      await page.getByLabel("Application").selectOption({ label: "7-Zip" });
      const artifact = page.getByLabel("Artifact");
      await expect.poll(() => artifact.locator("option", { hasText: "24.9.0" }).count()).toBe(1);
      await artifact.selectOption((await artifact.locator("option", { hasText: "24.9.0" }).getAttribute("value")) ?? "");
      await page.getByLabel("Expires in (days, at most 90)").fill("7");
      await page.getByRole("button", { name: "Request exception" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Exception for CVE-2026-0001 requested" }).count()).toBe(1);
      await expect.poll(() => page.locator('tr[data-exception="CVE-2026-0001"]').textContent()).toContain("Requested");
    });
    // A Security Reviewer approves it: it expires within 14 days, which the list says in words; then extends it.
    await as("security", async (page) => {
      await page.goto("/exceptions");
      await settled(page);
      const row = page.locator('tr[data-exception="CVE-2026-0001"]');
      await row.getByRole("button", { name: "Approve CVE-2026-0001…" }).click();
      await page.getByRole("dialog").getByRole("button", { name: "Approve exception" }).click();
      await expect.poll(() => row.locator('[data-badge="expiring-soon"]').count()).toBe(1);
      expect(await row.textContent()).toMatch(/Expires soon: in \d days?/);
      await check(page, "9g-exceptions-expiring-soon");
      await row.getByRole("button", { name: "Extend CVE-2026-0001…" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Extend by (days; at most 90 past the original expiry)").fill("14");
      await dialog.getByLabel("Reason (required)").fill("Vendor fix slipped two weeks.");
      await dialog.getByRole("button", { name: "Extend exception" }).click();
      await expect.poll(() => row.locator('[data-badge="expiring-soon"]').count()).toBe(0);
      expect(await page.getByRole("status").filter({ hasText: "Extended the vulnerability exception for CVE-2026-0001" }).count()).toBe(1);
    });
  });
});

describe("break-glass", () => {
  it("needs two people: the requester cannot confirm; a CAB approver can", async () => {
    await as("security", async (page) => {
      await page.goto("/exceptions");
      await settled(page);
      const form = page.getByRole("form", { name: "Request break-glass" });
      await form.getByLabel("Intent").selectOption({ label: "falcon-7-18-sales" });
      await form.getByLabel("Priority").selectOption("P0");
      await form.getByLabel("Emergency (incident and fix)").fill("INC-4242: sensor crash loop on sales laptops; 7.18 fixes it.");
      await form.getByRole("button", { name: "Request break-glass" }).click();
      const row = page.getByRole("table", { name: "Break-glass requests and their state" }).locator("tbody tr").first();
      await expect.poll(() => row.textContent()).toContain("Awaiting second person");
      await row.getByRole("button", { name: "Confirm as second person" }).click();
      const refusal = page.locator('[role="alert"][data-code="separation-of-duties"]');
      await expect.poll(() => refusal.count()).toBe(1);
      await check(page, "9e-break-glass-self-confirm-refused");
    });
    await as("cab", async (page) => {
      await page.goto("/exceptions");
      await settled(page);
      const row = page.getByRole("table", { name: "Break-glass requests and their state" }).locator("tbody tr").first();
      await row.getByRole("button", { name: "Confirm as second person" }).click();
      await expect.poll(() => row.textContent()).toContain("Active");
      expect(await row.textContent()).toContain("confirmed by cab");
      await check(page, "9f-break-glass-active");
    });
  });
});

describe("connectors", () => {
  it("lists connectors, adds a dry-run one with write-only secrets, checks it and shows the recorded request", async () => {
    await as("admin", async (page) => {
      await nav(page, "Connectors").click();
      await expect.poll(() => h1(page)).toBe("Connectors");
      await settled(page);
      // The e2e server runs without simulators: no connector until one is added.
      if ((await page.locator("tbody tr").count()) === 0) {
        expect(await page.getByText("No connector is configured.", { exact: false }).count()).toBe(1);
        await check(page, "9b-connectors-empty");
      }
      const form = page.getByRole("form", { name: "Add a connector" });
      await form.getByLabel("Plane").selectOption("ansible");
      await form.getByRole("button", { name: "Add connector" }).click();
      await expect.poll(() => page.locator("#f-new-base_url-error").count()).toBe(1);
      expect(await page.locator("#f-new-name-error").count()).toBe(1);
      const name = `awx-dry-${Date.now().toString(36)}`;
      await form.getByLabel("Name (a slug)").fill(name);
      // Nothing listens on port 9: the check fails fast and says so.
      await form.getByLabel("Base URL").fill("http://127.0.0.1:9");
      await form.getByLabel("API token").fill("e2e-secret-token-value");
      expect(await form.getByLabel("Dry run (record requests, change nothing)").isChecked()).toBe(true);
      await form.getByRole("button", { name: "Add connector" }).click();
      await expect.poll(() => h1(page)).toBe(`Connector ${name}`);
      await settled(page);
      expect(await page.getByRole("status").filter({ hasText: `Connector ${name} added.` }).count()).toBe(1);
      expect(await page.locator("main").textContent()).not.toContain("e2e-secret-token-value");
      expect(await page.locator("main").textContent()).toContain("token (stored encrypted, never shown)");

      await page.getByRole("button", { name: "Check connection" }).click();
      const result = page.locator(".check-result");
      await expect.poll(() => result.count()).toBe(1);
      expect(await result.getAttribute("data-ok")).toBe("false");
      expect(await result.textContent()).toContain("Check failed");
      expect(await result.textContent()).toContain("GET http://127.0.0.1:9/api/v2/me/");
      await expect.poll(() => page.locator(".page-subtitle [data-badge]").getAttribute("data-badge")).toBe("down");
      // A check calls nothing that changes the plane: no idempotency record.
      expect(await page.getByText("No mutating call recorded yet.").count()).toBe(1);
      await check(page, "9c-connector-checked");

      // Change it: disable. Secrets left empty keep their stored value.
      const edit = page.getByRole("form", { name: "Change configuration" });
      await edit.getByLabel("Enabled").uncheck();
      await edit.getByRole("button", { name: "Save changes" }).click();
      await expect.poll(() => page.getByRole("status").filter({ hasText: "Saved revision 2." }).count()).toBe(1);
      await page.getByRole("link", { name: "← All connectors" }).click();
      await settled(page);
      const row = page.getByRole("row", { name: new RegExp(name) });
      await expect.poll(() => row.textContent()).toContain("Disabled");
      expect(await row.textContent()).toContain("Down");
      expect(await row.textContent()).toContain("Circuit closed");
      await check(page, "9d-connectors");
    });
  });
});
