import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, focused, launch, newPage, PASSWORDS, RUN, settled, submitOutcome , keepFailures } from "./support";

let browser: Browser;
let context: BrowserContext;
let page: Page;
beforeAll(async () => {
  browser = await launch();
  ({ context, page } = await newPage(browser));
});
keepFailures(() => [page]);
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

/** Press Tab (or Shift+Tab) until the focused control's label matches; fail after `max` presses. */
async function tabTo(label: RegExp, options: { shift?: boolean; max?: number } = {}) {
  const seen: string[] = [];
  for (let i = 0; i < (options.max ?? 40); i++) {
    await page.keyboard.press(options.shift ? "Shift+Tab" : "Tab");
    const f = await focused(page);
    seen.push(`${f?.tag}:${f?.label ?? ""}`);
    if (f?.label && label.test(f.label)) {
      expect(f.outline || f.shadow, `focus on "${f.label}" must be visible`).toBe(true);
      return seen;
    }
  }
  throw new Error(`never reached ${label} with the keyboard; went through: ${seen.join(" | ")}`);
}

/** The next Tab lands exactly on `label` (the form's order is the reading order). */
async function nextIs(label: RegExp) {
  await page.keyboard.press("Tab");
  const f = await focused(page);
  expect(f?.label ?? "", `focus after Tab`).toMatch(label);
  expect(f?.outline || f?.shadow, `focus on "${f?.label}" must be visible`).toBe(true);
  return f;
}

describe("keyboard only", () => {
  it("signs in, reaches the intent form and fills it without a mouse", async () => {
    await page.goto("/login");
    await settled(page);
    // The username field has focus on arrival.
    expect((await focused(page))?.id).toBe("username");
    await page.keyboard.type("publisher");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORDS.publisher);
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === "/");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Dashboard");
    await settled(page);

    // From the page heading, back up into the main navigation and open Intents.
    await tabTo(/^Intents$/, { shift: true });
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === "/intents");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("Intents");
    await settled(page);
    await tabTo(/^New intent$/);
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.pathname === "/intents/new");
    // The URL changes first; the new screen commits a moment later (a router transition).
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("New intent");
    await settled(page);
    // Focus moved to the new page's heading.
    await expect.poll(async () => (await focused(page))?.tag).toBe("h1");

    await nextIs(/Back without saving/);
    await nextIs(/^Name/);
    await page.keyboard.type(`zoom-6-2-11-engineering-${RUN}`);
    await nextIs(/^Title$/);
    await page.keyboard.type("Zoom 6.2.11 for engineering (keyboard)");
    await nextIs(/^Application$/);
    await expect.poll(() => page.locator("#f-application option", { hasText: "Zoom Workplace" }).count()).toBe(1);
    await page.keyboard.type("Zoom");
    await expect.poll(() => page.locator("#f-application option:checked").textContent()).toContain("Zoom Workplace");
    await nextIs(/^Version$/);
    // The application's versions load after it is chosen; a person waits for them too.
    await expect.poll(() => page.locator('#f-version option[value="6.2.11"]').count()).toBe(1);
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => page.locator("#f-version").inputValue()).toBe("6.2.11");
    await nextIs(/^Change reason$/);
    await page.keyboard.type("Keyboard-only walk-through");
    await nextIs(/^Boundary$/);
    // The application's boundary is already chosen; the business unit is picked by typing its start.
    expect(await page.locator("#f-target_boundary").inputValue()).toBe("acme");
    await nextIs(/^Business unit$/);
    await page.keyboard.type("engineering");
    await expect.poll(() => page.locator("#f-target_business_unit").inputValue()).toBe("engineering");
    // Site classes: Online is ticked by default; tick Intermittent with Space.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe("online");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe("intermittent");
    await page.keyboard.press("Space");
    expect(await page.locator('input[value="intermittent"]').isChecked()).toBe(true);
    await page.keyboard.press("Tab"); // air-gapped, left unticked
    await nextIs(/^Ring$/);
    await nextIs(/^Target group$/);
    await page.keyboard.type("FG-LAB-ENG");
    await nextIs(/^Devices$/);
    await page.keyboard.type("6");
    await nextIs(/^Add ring \(Canary\)$/);
    await page.keyboard.press("Enter");
    // Focus moves to the new step's first control.
    expect((await focused(page))?.id).toBe("f-ring_plan-1-ring");
    expect(await page.locator("#f-ring_plan-1-ring").inputValue()).toBe("canary");
    await nextIs(/^Target group$/);
    await page.keyboard.type("FG-CANARY-ENG");
    await nextIs(/^Devices$/);
    await page.keyboard.type("60");
    await nextIs(/^Remove step 2/);
    await nextIs(/^Add ring \(Pilot\)$/);
    await nextIs(/^Strategy$/);
    await page.keyboard.press("ArrowDown"); // → Uninstall
    await expect.poll(() => page.locator("#f-rollback_plan-strategy").inputValue()).toBe("uninstall");
    await nextIs(/^Roll back to version$/);
    await nextIs(/^Create draft$/);
    await check(page, "40-keyboard-intent-form");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/intents\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.getByRole("heading", { level: 1 }).textContent())
      .toBe("Zoom 6.2.11 for engineering (keyboard)");
    await settled(page);
    const lab = await page.locator('[data-ring="lab"]').textContent();
    expect(lab).toContain("6 devices");
  });

  it("opens, escapes and confirms the submit dialog from the keyboard", async () => {
    // Focus is on the notice after a save; the actions are before it in the page header.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain("Draft created");
    await tabTo(/^Submit…$/, { shift: true });
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Submit this intent?" });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    // Focus is inside the dialog; Escape closes it and gives focus back to the opener.
    expect(await page.evaluate(() => !!document.activeElement?.closest("dialog"))).toBe(true);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect((await focused(page))?.label).toBe("Submit…");
    await page.keyboard.press("Enter");
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await tabTo(/^Submit intent$/, { max: 5 });
    await check(page, "41-keyboard-submit-dialog");
    await page.keyboard.press("Enter");
    // Submitted (or, once evidence is required, refused with a plain message): either way the
    // dialog closed and the result was announced.
    const outcome = await submitOutcome(page);
    expect(outcome.state ?? outcome.code).toMatch(/^(submitted|awaiting_cab|approved|evidence-incomplete|risk-not-assessed)$/);
    expect(await dialog.isVisible()).toBe(false);
  });

  it("has a skip link as the first stop on a fresh page", async () => {
    await page.goto("/applications");
    await settled(page);
    // It is the first focusable element of the page, and visible when focused.
    const first = await page.evaluate(
      () => document.querySelector<HTMLElement>("a[href], button, input, select, textarea")?.textContent,
    );
    expect(first).toBe("Skip to content");
    await tabTo(/^Skip to content$/, { shift: true });
    expect(await page.locator(".skip-link").boundingBox().then((b) => (b?.y ?? -1) >= 0)).toBe(true);
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => location.hash)).toBe("#main");
  });
});
