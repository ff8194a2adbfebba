/** Shared plumbing for the browser tests: the browser, sign-in, axe checks and screenshots. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { beforeEach, expect } from "vitest";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
export const RESULTS = join(web, "test-results");
export const BASE = process.env.FLEETGATE_E2E_URL ?? "";
const dataDir = process.env.FLEETGATE_E2E_DATA_DIR ?? "";
if (!BASE || !dataDir) throw new Error("Run the browser tests with `make -C web e2e` (e2e/run.mjs starts the server).");

export type DemoUser =
  | "admin"
  | "packager"
  | "publisher"
  | "globex-publisher"
  | "cab"
  | "security"
  | "ops"
  | "auditor";
export const PASSWORDS = JSON.parse(readFileSync(join(dataDir, "demo-credentials.json"), "utf8")) as Record<DemoUser, string>;

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

const OPEN = new Set<Page>();

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: BASE,
    viewport: { width: 1280, height: 860 },
    acceptDownloads: true,
    reducedMotion: "reduce",
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  OPEN.add(page);
  page.on("close", () => OPEN.delete(page));
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of (4\d\d)/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  (page as Page & { jsProblems?: string[] }).jsProblems = problems;
  return { context, page };
}

/** Uncaught errors in the page fail the test that caused them. */
export function jsProblems(page: Page): string[] {
  return (page as Page & { jsProblems?: string[] }).jsProblems ?? [];
}

/** A fresh signed-in page for `user`: `body` runs on it, no uncaught page error may remain, and the context closes. */
export async function asUser(
  browser: Browser,
  user: DemoUser,
  body: (page: Page, context: BrowserContext) => Promise<void>,
): Promise<void> {
  const { page, context } = await newPage(browser);
  try {
    await signIn(page, user);
    await settled(page);
    await body(page, context);
    expect(jsProblems(page)).toEqual([]);
  } finally {
    await context.close();
  }
}

/** The page's one level-1 heading. */
export const h1 = (page: Page) => page.getByRole("heading", { level: 1 }).textContent();

export async function signIn(page: Page, user: DemoUser, options: { from?: string } = {}): Promise<void> {
  if (options.from !== "here") await page.goto(options.from ?? "/login");
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PASSWORDS[user]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
  await page.locator(".whoami-name", { hasText: new RegExp(`^${user}$`) }).waitFor();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname.startsWith("/login"));
}

/** Wait until no "Loading …" status is on the page. */
export async function settled(page: Page): Promise<void> {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => !document.querySelector(".loading"), undefined, { timeout: 10_000 });
}

interface AxeNode {
  target: unknown;
  html: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: AxeNode[];
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Screenshot the page to test-results/<name>.png and run axe-core on it (WCAG 2.x A/AA plus best
 * practices). Serious or critical violations fail the test; all results are kept per page state.
 */
export async function check(page: Page, name: string): Promise<void> {
  await settled(page);
  await page.screenshot({ path: join(RESULTS, `${name}.png`), fullPage: true });
  const hasAxe = await page.evaluate(() => "axe" in window);
  if (!hasAxe) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: unknown[] }> } }).axe;
    const r = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
      resultTypes: ["violations"],
    });
    return r.violations;
  })) as AxeViolation[];
  const brief = (v: AxeViolation) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200) })),
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical").map(brief);
  const other = violations.filter((v) => !(v.impact === "serious" || v.impact === "critical")).map(brief);
  mkdirSync(join(RESULTS, "axe"), { recursive: true });
  writeFileSync(join(RESULTS, "axe", `${name}.json`), JSON.stringify({ page: name, url: page.url(), serious, other }, null, 2));
  expect(serious, `axe serious/critical violations on ${name}:\n${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

/** The element that has focus, described for assertions. */
export function focused(page: Page) {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return null;
    const style = getComputedStyle(el);
    const label =
      el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent?.trim()
        ? document.querySelector(`label[for="${el.id}"]`)?.textContent?.trim()
        : el.getAttribute("aria-label") ?? el.textContent?.trim();
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      label,
      outline: style.outlineStyle !== "none" && style.outlineWidth !== "0px",
      shadow: style.boxShadow !== "none",
    };
  });
}

/** A unique suffix so reruns against the same database never collide. */
export const RUN = Date.now().toString(36);

/** After confirming a submit: the new state, or the problem code the server refused it with. */
export async function submitOutcome(page: Page): Promise<{ state?: string; code?: string }> {
  const badge = page.locator(".page-subtitle [data-state]");
  const alert = page.locator('.alert-error[role="alert"][data-code]');
  await expect
    .poll(async () => (await alert.count()) > 0 || (await badge.getAttribute("data-state")) !== "draft", { timeout: 15_000 })
    .toBe(true);
  if ((await alert.count()) > 0) return { code: (await alert.first().getAttribute("data-code")) ?? "" };
  return { state: (await badge.getAttribute("data-state")) ?? "" };
}

/**
 * On a failed test, keep what the browser showed: a screenshot and the URL and page errors of
 * every page `pages()` returns, as test-results/FAILED-<test>-<n>.png/.txt.
 */
export function keepFailures(pages: () => (Page | undefined)[] = () => [...OPEN]): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const slug = ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60);
      for (const [i, p] of pages().entries()) {
        if (!p || p.isClosed()) continue;
        await p.screenshot({ path: join(RESULTS, `FAILED-${slug}-${i}.png`), fullPage: true }).catch(() => undefined);
        writeFileSync(join(RESULTS, `FAILED-${slug}-${i}.txt`), `${p.url()}\n${jsProblems(p).join("\n")}\n`);
      }
    });
  });
}

/** check(), and no axe violation of any impact either (the pages built for issue 12 and later have none). */
export async function checkClean(page: Page, name: string): Promise<void> {
  await check(page, name);
  const report = JSON.parse(readFileSync(join(RESULTS, "axe", `${name}.json`), "utf8")) as { other: unknown[] };
  expect(report.other, `axe findings on ${name}:\n${JSON.stringify(report.other, null, 2)}`).toEqual([]);
}

/** A ledger event as the browser specs read it. */
export interface LedgerRow {
  action: string;
  actor_name: string;
  subject_type: string;
  subject_id: string;
  correlation_id: string;
  after: Record<string, unknown> | null;
}

/** The newest ledger events of `action` by `actor`, read with the page's own session. */
export async function ledgerEvents(page: Page, action: string, actor: string): Promise<LedgerRow[]> {
  const response = await page.request.get(`/api/v1/ledger/?${new URLSearchParams({ action, actor })}`);
  expect(response.status()).toBe(200);
  return ((await response.json()) as { results: LedgerRow[] }).results.filter((e) => e.action === action);
}

/** A webhook receiver on 127.0.0.1: records every request and answers 204. */
export async function webhookReceiver(path: string): Promise<{
  url: string;
  received: { headers: IncomingHttpHeaders; body: string }[];
  close: () => Promise<void>;
}> {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
