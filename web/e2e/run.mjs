// Browser tests against a REAL Fleetgate: fresh data dir, migrate, seed the demo, `fleetgate up`
// on a free port, run the e2e suite (Vitest driving Debian's Chromium through playwright-core),
// then stop the server (also on failure or Ctrl-C) and print one closing summary line.
//
// Needs: the built UI (make -C web build), the Python venv (make install) and /usr/bin/chromium.
// The Makefile target `make -C web e2e` arranges all three.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = dirname(web);
const fleetgate = process.env.FLEETGATE_BIN || join(repo, ".venv", "bin", "fleetgate");
const results = join(web, "test-results");
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const say = (msg) => console.log(`[e2e ${elapsed()}] ${msg}`);

for (const [what, path] of [
  ["fleetgate (run `make install` at the repo root)", fleetgate],
  ["/usr/bin/chromium (run `make -C web chromium`)", "/usr/bin/chromium"],
  ["the built UI (run `make -C web build`)", join(repo, "src", "fleetgate", "static_ui", "index.html")],
]) {
  if (!existsSync(path)) {
    console.error(`e2e: missing ${what}: ${path}`);
    console.log("e2e: 0 passed, 1 failed");
    process.exit(1);
  }
}

rmSync(results, { recursive: true, force: true });
mkdirSync(join(results, "axe"), { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), "fleetgate-e2e-"));
const env = {
  ...process.env,
  FLEETGATE_DATA_DIR: dataDir,
  FLEETGATE_LOG_LEVEL: "WARNING",
  // Every test signs in several times from one address; the default anonymous rate (60/min)
  // is meant for the internet, not for a test browser.
  FLEETGATE_THROTTLE_ANON: "100000/min",
  FLEETGATE_THROTTLE_USER: "100000/min",
  FLEETGATE_THROTTLE_LOGIN: "100000/min",
};
delete env.FLEETGATE_DATABASE_URL; // always a fresh SQLite database in the temp dir
delete env.FLEETGATE_REDIS_URL;

let server = null;
let cleaned = false;

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const group = -server.pid;
  try {
    process.kill(group, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 12_000;
  while (Date.now() < deadline && server.exitCode === null && server.signalCode === null) {
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(group, "SIGKILL"); // whatever is left of the group (gunicorn workers, huey)
  } catch {
    /* already gone */
  }
}

async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await stopServer();
  rmSync(dataDir, { recursive: true, force: true });
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    console.error(`e2e: ${signal}, stopping the server`);
    await cleanup();
    process.exit(130);
  });
}

function run(args) {
  const r = spawnSync(fleetgate, args, { env, cwd: repo, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`fleetgate ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url, log) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`fleetgate up exited with ${server.exitCode}:\n${readFileSync(log, "utf8").slice(-3000)}`);
    }
    try {
      const r = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`fleetgate did not become ready in 90 s:\n${readFileSync(log, "utf8").slice(-3000)}`);
}

function summarize(code) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const file = join(results, "e2e-results.json");
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed = r.numPassedTests ?? 0;
    failed = r.numFailedTests ?? 0;
    skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
  if (code !== 0 && failed === 0) failed = 1; // the run itself failed (setup, crash)
  const axeDir = join(results, "axe");
  const pages = existsSync(axeDir) ? readdirSync(axeDir).filter((f) => f.endsWith(".json")) : [];
  let serious = 0;
  let minor = 0;
  for (const f of pages) {
    const r = JSON.parse(readFileSync(join(axeDir, f), "utf8"));
    serious += r.serious.length;
    minor += r.other.length;
  }
  const shots = existsSync(results) ? readdirSync(results).filter((f) => f.endsWith(".png")).length : 0;
  console.log(`axe: ${pages.length} page states checked, ${serious} serious/critical violations, ${minor} minor/moderate`);
  console.log(`screenshots: ${shots} in ${results}`);
  console.log(`e2e finished in ${elapsed()}`);
  console.log(`e2e: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
}

let code = 1;
try {
  say(`data dir ${dataDir}`);
  run(["migrate"]);
  run(["seed-demo"]);
  say("migrated and seeded the demo");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = join(results, "server.log");
  const fd = openSync(log, "a");
  server = spawn(fleetgate, ["up", "--port", String(port), "--workers", "2"], {
    env,
    cwd: repo,
    detached: true, // its own process group, so the workers it forks stop with it
    stdio: ["ignore", fd, fd],
  });
  await waitReady(url, log);
  // Warm every worker (imports, first queries) so the first test does not pay for a cold start.
  await Promise.all(
    Array.from({ length: 6 }, () =>
      Promise.all([fetch(`${url}/`), fetch(`${url}/api/v1/auth/session/`)]).catch(() => undefined),
    ),
  );
  say(`fleetgate up on ${url}`);
  const vitest = spawn(
    join(web, "node_modules", ".bin", "vitest"),
    [
      "run",
      "--config",
      "e2e/vitest.config.ts",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${join(results, "e2e-results.json")}`,
    ],
    {
      cwd: web,
      stdio: "inherit",
      env: { ...process.env, FLEETGATE_E2E_URL: url, FLEETGATE_E2E_DATA_DIR: dataDir },
    },
  );
  // A hung browser must not hang CI: stop the whole run after a bound.
  const limit = Number(process.env.FLEETGATE_E2E_TIMEOUT_S || 600);
  const watchdog = setTimeout(() => {
    console.error(`e2e: still running after ${limit} s; stopping it`);
    vitest.kill("SIGKILL");
  }, limit * 1000);
  code = await new Promise((resolve) => vitest.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  clearTimeout(watchdog);
} catch (error) {
  console.error(`e2e: ${error instanceof Error ? error.message : error}`);
  code = 1;
} finally {
  await cleanup();
}
summarize(code);
process.exit(code);
