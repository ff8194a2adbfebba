import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, check, checkClean, jsProblems, launch, newPage, RUN, settled, signIn, submitOutcome , keepFailures } from "./support";


let browser: Browser;
let context: BrowserContext;
let page: Page;
beforeAll(async () => {
  browser = await launch();
  ({ context, page } = await newPage(browser));
  await signIn(page, "publisher");
});
keepFailures(() => [page]);
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

const h1 = () => page.getByRole("heading", { level: 1 }).textContent();

async function openNewIntentForm() {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Intents" }).click();
  await expect.poll(h1).toBe("Intents");
  await page.getByRole("link", { name: "New intent" }).click();
  await expect.poll(h1).toBe("New intent");
  await settled(page);
}

async function chooseApplication(name: string, version: string) {
  const app = page.getByLabel("Application", { exact: true });
  const value = await app.locator("option", { hasText: name }).getAttribute("value");
  await app.selectOption(value ?? "");
  await expect.poll(() => page.getByLabel("Version", { exact: true }).locator("option", { hasText: version }).count()).toBe(1);
  await page.getByLabel("Version", { exact: true }).selectOption(version);
}

/** The boundary follows the application; the business unit is chosen from those both scopes allow. */
async function chooseTarget(boundary: string, unit: string) {
  const b = page.getByLabel("Boundary", { exact: true });
  await expect.poll(() => b.inputValue()).toBe(boundary);
  await page.getByLabel("Business unit", { exact: true }).selectOption(unit);
}

async function fillStep(index: number, group: string, devices: string) {
  const step = page.getByRole("group", { name: new RegExp(`^Step ${index + 1}:`) });
  await step.getByLabel("Target group", { exact: true }).fill(group);
  await step.getByLabel("Devices", { exact: true }).fill(devices);
}

describe("a publisher creates, edits and submits an intent", () => {
  const name = `sap-gui-8-0-11-finance-${RUN}`;
  let detailUrl = "";

  it("shows the server's validation errors inline, next to each field", async () => {
    await openNewIntentForm();
    await check(page, "20-intent-form-empty");
    await page.getByLabel("Name (unique slug)").fill(name);
    // Title left empty; the device count is out of range; no rollback version.
    await chooseApplication("SAP GUI", "8.0.11");
    await chooseTarget("acme", "finance");
    await fillStep(0, "FG-LAB-FIN", "0");
    await page.getByRole("button", { name: "Create draft" }).click();

    const summary = page.locator(".error-summary");
    await expect.poll(() => summary.textContent()).toContain("Fix");
    expect(await summary.getAttribute("role")).toBe("alert");
    const text = (await summary.textContent()) ?? "";
    expect(text).toContain("Title");
    expect(text).toContain("Ring plan step 1: devices");
    // Inline: the message sits under the field, which is marked invalid and points at it.
    const title = page.getByLabel("Title", { exact: true });
    expect(await title.getAttribute("aria-invalid")).toBe("true");
    const titleErr = await title.getAttribute("aria-describedby");
    expect(await page.locator(`#${titleErr}`).textContent()).toContain("may not be blank");
    const devices = page.locator("#f-ring_plan-0-device_count");
    expect(await devices.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#f-ring_plan-0-device_count-error").textContent()).toMatch(/1 to|greater than or equal/);
    // Focus moved to the summary, so keyboard and screen-reader users hear it first.
    expect(await page.evaluate(() => document.activeElement?.classList.contains("error-summary"))).toBe(true);
    await check(page, "21-intent-form-errors");
  });

  it("creates the draft once the fields are fixed", async () => {
    await page.getByLabel("Title", { exact: true }).fill("SAP GUI 8.0.11 for finance (e2e)");
    await page.getByLabel("Change reason").fill("Security fixes from the vendor");
    await fillStep(0, "FG-LAB-FIN", "8");
    await page.getByRole("button", { name: "Add ring (Canary)" }).click();
    await fillStep(1, "FG-CANARY-FIN", "80");
    // Domain rules come back the same way: reinstalling the previous version needs that version.
    await page.getByRole("button", { name: "Create draft" }).click();
    await expect.poll(() => page.locator(".error-summary").textContent()).toContain("Roll back to version");
    expect(await page.locator("#f-rollback_plan-rollback_version-error").textContent()).toContain("Name the version");
    expect(await page.getByLabel("Title", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    await page.getByLabel("Strategy", { exact: true }).selectOption("uninstall");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.waitForURL(/\/intents\/[0-9a-f-]{36}$/);
    detailUrl = new URL(page.url()).pathname;
    await expect.poll(h1).toBe("SAP GUI 8.0.11 for finance (e2e)");
    await expect.poll(() => page.getByRole("status").filter({ hasText: "Draft created" }).count()).toBe(1);
    await settled(page);

    const track = page.getByRole("list", { name: /Ring plan/ });
    const lab = track.locator('[data-ring="lab"]');
    expect(await lab.textContent()).toContain("Planned (draft)");
    expect(await lab.textContent()).toContain("8 devices");
    expect(await track.locator('[data-ring="canary"]').textContent()).toContain("80 devices");
    expect(await track.locator('[data-ring="pilot"]').textContent()).toContain("Not planned");
    expect(await track.locator("li").count()).toBe(5);
    const history = page.getByRole("region", { name: "State history" });
    await expect.poll(() => history.textContent()).toContain("intent.created");
    await check(page, "22-intent-detail-draft");
  });

  it("edits the draft (with If-Match) and records the change", async () => {
    await page.getByRole("link", { name: "Edit draft" }).click();
    await expect.poll(h1).toContain("Edit draft");
    await settled(page);
    await check(page, "23-intent-form-edit");
    await page.getByLabel("Title", { exact: true }).fill("SAP GUI 8.0.11 for finance, edited (e2e)");
    await page.getByRole("button", { name: "Save draft" }).click();
    await page.waitForURL((u) => u.pathname === detailUrl);
    await expect.poll(h1).toBe("SAP GUI 8.0.11 for finance, edited (e2e)");
    const history = page.getByRole("region", { name: "State history" });
    await expect.poll(() => history.textContent()).toContain("intent.updated");
  });

  it("submits after a confirmation, and the ledger shows the event", async () => {
    const id = detailUrl.split("/").pop() ?? "";
    await page.getByRole("button", { name: "Submit…" }).click();
    const dialog = page.getByRole("dialog", { name: "Submit this intent?" });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await check(page, "24-intent-submit-dialog");
    await dialog.getByRole("button", { name: "Submit intent" }).click();
    const outcome = await submitOutcome(page);
    let action = "intent.submitted";
    if (outcome.state) {
      // The spine stops at `submitted`; with approvals it moves on to awaiting_cab or approved.
      expect(["submitted", "awaiting_cab", "approved"]).toContain(outcome.state);
      await expect.poll(() => page.locator(".alert-success").first().textContent()).toContain("Submitted");
      expect(await page.getByRole("button", { name: "Submit…" }).count()).toBe(0);
      expect(await page.locator('[data-ring="lab"]').textContent()).not.toContain("Planned (draft)");
      const history = page.getByRole("region", { name: "State history" });
      await expect.poll(() => history.textContent()).toContain("intent.submitted");
      await check(page, "25-intent-detail-submitted");
    } else {
      // Once submitting needs a sealed evidence pack, a bare draft is refused as a whole, plainly.
      expect(["evidence-incomplete", "risk-not-assessed"]).toContain(outcome.code);
      const alert = page.locator(`[role="alert"][data-code="${outcome.code}"]`);
      expect(await alert.textContent()).toContain("409");
      expect(await page.locator(".page-subtitle [data-state]").getAttribute("data-state")).toBe("draft");
      await check(page, "25-intent-submit-refused-evidence");
      action = "intent.updated";
    }

    // The ledger: this intent's event, found with the stream's filters, and its before/after.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Ledger" }).click();
    await expect.poll(h1).toBe("Ledger");
    await settled(page);
    await check(page, "26-ledger");
    await page.getByLabel("Action starts with").fill(action);
    await page.getByLabel("Subject id").fill(id);
    await page.getByRole("button", { name: "Apply filters" }).click();
    await page.waitForURL((u) => u.searchParams.get("subject_id") === id);
    await settled(page);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    const row = page.locator("tbody tr").first();
    expect(await row.textContent()).toContain(action);
    expect(await row.textContent()).toContain("publisher");
    await row.getByRole("link", { name: /Event \d+/ }).click();
    await expect.poll(h1).toMatch(new RegExp(`Event #\\d+: ${action.replace(".", "\\.")}`));
    await settled(page);
    if (action === "intent.submitted") {
      const state = page.getByRole("row", { name: /^state\b/ });
      expect(await state.textContent()).toContain("~ changed");
      expect(await state.textContent()).toContain("draft");
      expect(await state.textContent()).toContain("submitted");
    } else {
      const title = page.getByRole("row", { name: /^title\b/ });
      expect(await title.textContent()).toContain("~ changed");
      expect(await title.textContent()).toContain("edited (e2e)");
    }
    await check(page, "27-ledger-event-diff");
  });
});

describe("refusals render as clear messages", () => {
  it("403: a target outside the publisher's scope", async () => {
    await openNewIntentForm();
    await page.getByLabel("Name (unique slug)").fill(`firefox-globex-${RUN}`);
    await page.getByLabel("Title", { exact: true }).fill("Firefox for Globex");
    await chooseApplication("Mozilla Firefox ESR", "128.6.0");
    // The form offers only targets inside both scopes: globex is not among them.
    expect(await page.getByLabel("Boundary", { exact: true }).locator('option[value="globex"]').count()).toBe(0);
    await chooseTarget("acme", "engineering");
    await fillStep(0, "FG-LAB", "5");
    await page.getByLabel("Roll back to version").fill("128.5.0");
    // A request made some other way is still refused by the server, and the UI says so plainly.
    const intents = (u: URL) => u.pathname === "/api/v1/intents/";
    await page.route(intents, async (route) => {
      const req = route.request();
      if (req.method() !== "POST") return route.continue();
      const body = { ...(req.postDataJSON() as Record<string, unknown>), target_boundary: "globex" };
      await route.continue({ postData: JSON.stringify(body) });
    });
    await page.getByRole("button", { name: "Create draft" }).click();
    const alert = page.locator('[role="alert"][data-code="scope-violation"]');
    await expect.poll(() => alert.count()).toBe(1);
    const text = (await alert.textContent()) ?? "";
    expect(text).toContain("Target is outside your scope");
    expect(text).toContain("403");
    expect(text).toContain("boundary globex");
    expect(text).toContain("Correlation id");
    await page.unroute(intents);
    await check(page, "28-intent-403-scope");
  });

  it("409: a second active change for the same application and ring", async () => {
    // The demo's 7-Zip change for engineering (submitted) holds lab, canary and pilot.
    await openNewIntentForm();
    await page.getByLabel("Name (unique slug)").fill(`7zip-finance-${RUN}`);
    await page.getByLabel("Title", { exact: true }).fill("7-Zip 24.9 for finance (e2e)");
    await chooseApplication("7-Zip", "24.9.0");
    await chooseTarget("acme", "finance");
    await fillStep(0, "FG-LAB", "5");
    await page.getByLabel("Roll back to version").fill("24.8.0");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.waitForURL(/\/intents\/[0-9a-f-]{36}$/);
    await settled(page);
    await page.getByRole("button", { name: "Submit…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Submit intent" }).click();
    const alert = page.locator('[role="alert"][data-code="active-change-conflict"]');
    await expect.poll(() => alert.count()).toBe(1);
    const text = (await alert.textContent()) ?? "";
    expect(text).toContain("Another change is active for this application and ring");
    expect(text).toContain("409");
    expect(text).toContain("7zip-24-9-engineering");
    // Still a draft: nothing changed.
    expect(await page.locator(".page-subtitle [data-state]").getAttribute("data-state")).toBe("draft");
    await check(page, "29-intent-409-conflict");

    // Cancel it, with a reason, after confirming.
    await page.getByRole("button", { name: "Cancel intent…" }).click();
    const dialog = page.getByRole("dialog", { name: "Cancel this intent?" });
    await dialog.getByLabel("Reason (recorded in the ledger)").fill("Conflicts with the engineering rollout");
    await check(page, "30-intent-cancel-dialog");
    await dialog.getByRole("button", { name: "Cancel intent" }).click();
    await expect.poll(() => page.locator(".page-subtitle [data-state]").getAttribute("data-state")).toBe("cancelled");
    const history = page.getByRole("region", { name: "State history" });
    await expect.poll(() => history.textContent()).toContain("Conflicts with the engineering rollout");
    expect(jsProblems(page)).toEqual([]);
  });
});

describe("two people editing the same draft", () => {
  it("412: a save over someone else's newer edit is refused and offers a reload", async () => {
    await openNewIntentForm();
    await page.getByLabel("Name (unique slug)").fill(`firefox-sales-${RUN}`);
    await page.getByLabel("Title", { exact: true }).fill("Firefox for sales");
    await chooseApplication("Mozilla Firefox ESR", "128.6.0");
    await chooseTarget("acme", "sales");
    await fillStep(0, "FG-LAB-SALES", "4");
    await page.getByLabel("Roll back to version").fill("128.5.0");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.waitForURL(/\/intents\/[0-9a-f-]{36}$/);
    const editUrl = `${new URL(page.url()).pathname}/edit`;
    await page.goto(editUrl);
    await settled(page);

    // Someone else (same role, another browser) saves first.
    const other = await newPage(browser);
    try {
      await signIn(other.page, "publisher");
      await other.page.goto(editUrl);
      await settled(other.page);
      await other.page.getByLabel("Title", { exact: true }).fill("Firefox for sales, their edit");
      await other.page.getByRole("button", { name: "Save draft" }).click();
      await other.page.waitForURL((u) => !u.pathname.endsWith("/edit"));
    } finally {
      await other.context.close();
    }

    await page.getByLabel("Title", { exact: true }).fill("Firefox for sales, my edit");
    await page.getByRole("button", { name: "Save draft" }).click();
    const alert = page.locator('[role="alert"][data-code="stale-etag"]');
    await expect.poll(() => alert.count()).toBe(1);
    expect(await alert.textContent()).toContain("412");
    expect(await alert.textContent()).toContain("changed since you read it");
    await check(page, "31-intent-412-stale");
    await page.getByRole("button", { name: /Reload the latest version/ }).click();
    await expect.poll(() => page.getByLabel("Title", { exact: true }).inputValue()).toBe("Firefox for sales, their edit");
  });
});

/** A call to the API from the signed-in page (session cookie and CSRF token), as the UI makes it. */
async function apiCall<T>(on: Page, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const result = await on.evaluate(
    async ({ method, path, body, headers }) => {
      const csrf = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] ?? "";
      const r = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: r.status, json: await r.json() };
    },
    { method, path, body, headers },
  );
  if (result.status >= 300) throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.json)}`);
  return result.json as T;
}

describe("a ring step's target group is picked from the plane's groups", () => {
  let sim: ChildProcess | undefined;
  let connectorId = "";

  beforeAll(async () => {
    // A simulated Configuration Manager, and a connector for it serving Windows in acme (SAP GUI's).
    const dir = mkdtempSync(join(tmpdir(), "fg-e2e-groups-"));
    const file = join(dir, "connections.json");
    sim = spawn(join(process.cwd(), "..", ".venv", "bin", "fleetsim"), ["serve", "--plane", "sccm", "--port-base", "0", "--connections-file", file], {
      stdio: "ignore",
    });
    for (let waited = 0; !existsSync(file) && waited < 30_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
    if (!existsSync(file)) throw new Error("the simulated Configuration Manager did not start in 30 s");
    const [conn] = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>[];
    await asUser(browser, "admin", async (admin) => {
      const created = await apiCall<{ id: string }>(admin, "POST", "/api/v1/connectors/", {
        ...conn,
        name: `sccm-e2e-${RUN}`,
        platforms: ["windows"],
        boundaries: ["acme"],
      });
      connectorId = created.id;
    });
  });

  afterAll(async () => {
    // The later specs must not see this plane: disable the connector, stop the simulator.
    if (connectorId) {
      await asUser(browser, "admin", async (admin) => {
        const current = await apiCall<{ etag: string }>(admin, "GET", `/api/v1/connectors/${connectorId}/`);
        await apiCall(admin, "PATCH", `/api/v1/connectors/${connectorId}/`, { enabled: false }, { "If-Match": current.etag });
      });
    }
    sim?.kill("SIGTERM");
  });

  it("lets the publisher search the collections and choose one, which the draft keeps", async () => {
    await openNewIntentForm();
    await page.getByLabel("Name (unique slug)").fill(`sap-gui-picked-${RUN}`);
    await page.getByLabel("Title", { exact: true }).fill("SAP GUI with a picked group (e2e)");
    await chooseApplication("SAP GUI", "8.0.11");
    await chooseTarget("acme", "finance");
    const step = page.getByRole("group", { name: /^Step 1:/ });
    const picker = step.getByRole("combobox", { name: "Target group" });
    await expect.poll(() => picker.count()).toBe(1);
    await picker.click();
    await picker.fill("can");
    const option = step.getByRole("option", { name: /FG-CANARY/ });
    await expect.poll(() => option.count()).toBe(1);
    expect(await option.textContent()).toMatch(/\d+ devices/);
    // The search answers after a pause: wait for the narrowed list, not just for the option.
    await expect.poll(() => step.getByRole("listbox").getByRole("option").count()).toBe(1);
    await checkClean(page, "32-intent-form-group-picker");
    await option.click();
    await expect.poll(() => picker.inputValue()).toBe("FG-CANARY");
    await expect.poll(() => picker.getAttribute("aria-expanded")).toBe("false");
    await step.getByLabel("Devices", { exact: true }).fill("8");
    await page.getByLabel("Strategy", { exact: true }).selectOption("uninstall");
    await page.getByRole("button", { name: "Create draft" }).click();
    await page.waitForURL(/\/intents\/[0-9a-f-]{36}$/);
    const id = new URL(page.url()).pathname.split("/").pop() ?? "";
    const intent = await apiCall<{ ring_plan: { target_group: string }[] }>(page, "GET", `/api/v1/intents/${id}/`);
    expect(intent.ring_plan[0]?.target_group).toBe("FG-CANARY");
  });
});
