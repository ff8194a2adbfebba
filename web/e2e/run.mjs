// Browser tests against a REAL Fleetgate: fresh data dir, migrate, seed the demo, `fleetgate up`
// on a free port, run the e2e suite (Vitest driving Debian's Chromium through playwright-core),
// then stop the server (also on failure or Ctrl-C) and print one closing summary line.
//
// Two phases, each with its own data dir and server:
// - "plain": `fleetgate up` (no simulators, nothing moves on its own) for every spec but the ones below;
// - "demo": `fleetgate up --demo` (the simulated planes, their connectors and the demo engine tick) for
//   the specs in DEMO_SPECS, which watch the seeded rollouts move ring by ring.
// `node e2e/run.mjs 07-rollouts` runs only the specs whose file name contains one of the arguments.
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

// Specs that need rollouts moving on simulated planes (`fleetgate up --demo`).
const DEMO_SPECS = ["07-rollouts.e2e.ts"];
// Specs that sign in through an OpenID provider: the "sso" phase starts oidc-provider (e2e/fixtures/oidc-idp.mjs)
// and a server configured against it.
const SSO_SPECS = ["13-sso.e2e.ts"];
const filters = process.argv.slice(2);
const allSpecs = readdirSync(join(web, "e2e"))
  .filter((f) => f.endsWith(".e2e.ts"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const PHASES = [
  { name: "plain", demo: false, specs: allSpecs.filter((f) => !DEMO_SPECS.includes(f) && !SSO_SPECS.includes(f)) },
  { name: "demo", demo: true, specs: allSpecs.filter((f) => DEMO_SPECS.includes(f)) },
  { name: "sso", demo: false, sso: true, specs: allSpecs.filter((f) => SSO_SPECS.includes(f)) },
].filter((p) => p.specs.length > 0);
if (PHASES.length === 0) {
  console.error(`e2e: no spec matches ${filters.join(", ")}`);
  console.log("e2e: 0 passed, 1 failed");
  process.exit(1);
}

rmSync(results, { recursive: true, force: true });
mkdirSync(join(results, "axe"), { recursive: true });
let dataDir = "";
const env = {
  ...process.env,
  FLEETGATE_LOG_LEVEL: "WARNING",
  // Every test signs in several times from one address; the default anonymous rate (60/min)
  // is meant for the internet, not for a test browser.
  FLEETGATE_THROTTLE_ANON: "100000/min",
  FLEETGATE_THROTTLE_USER: "100000/min",
  FLEETGATE_THROTTLE_LOGIN: "100000/min",
  // The same reasoning for admission: a single test browser on a CI machine busy with Chromium is not
  // an overload, and a refusal's console error would fail the page. Overload refusal has its own tests
  // (tests/api/test_admission.py); here the queue-wait bound is only a backstop.
  FLEETGATE_WEB_QUEUE_WAIT_MS: process.env.FLEETGATE_WEB_QUEUE_WAIT_MS || "15000",
};
delete env.FLEETGATE_DATABASE_URL; // always a fresh SQLite database in the temp dir
delete env.FLEETGATE_REDIS_URL;

let server = null;
let idp = null; // the OpenID provider of the "sso" phase
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

async function stopPhase() {
  await stopServer();
  server = null;
  if (idp && idp.exitCode === null) idp.kill("SIGTERM");
  idp = null;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = "";
}

async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await stopPhase();
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    console.error(`e2e: ${signal}, stopping the server`);
    await cleanup();
    process.exit(130);
  });
}

function run(args) {
  const r = spawnSync(fleetgate, args, { env: { ...env, FLEETGATE_DATA_DIR: dataDir }, cwd: repo, encoding: "utf8" });
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
  const failures = [];
  for (const phase of PHASES) {
    const file = join(results, `e2e-results-${phase.name}.json`);
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    for (const file of r.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status !== "failed") continue;
        const why = (t.failureMessages ?? [""])[0].split("\n")[0].slice(0, 300);
        failures.push(`${phase.name} ${file.name.split("/").pop()} > ${t.fullName ?? t.title}: ${why}`);
      }
    }
  }
  // CI keeps only the tail of the output: name each failed test there, with the first line of its error.
  for (const f of failures) console.log(`e2e failed: ${f}`);
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

/** One phase: a fresh data dir, migrate + seed, a server (with the demo planes or not), its specs. */
async function runPhase(phase) {
  dataDir = mkdtempSync(join(tmpdir(), `fleetgate-e2e-${phase.name}-`));
  say(`${phase.name}: data dir ${dataDir}`);
  run(["migrate"]);
  run(["seed-demo"]);
  say(`${phase.name}: migrated and seeded the demo`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = join(results, `server-${phase.name}.log`);
  const fd = openSync(log, "a");
  const args = ["up", "--port", String(port), "--workers", "2", ...(phase.demo ? ["--demo"] : [])];
  const ssoEnv = phase.sso ? await startIdp(url) : {};
  server = spawn(fleetgate, args, {
    env: { ...env, ...ssoEnv, FLEETGATE_DATA_DIR: dataDir },
    cwd: repo,
    detached: true, // its own process group, so the workers it forks stop with it
    stdio: ["ignore", fd, fd],
  });
  await waitReady(url, log);
  if (phase.demo) await waitSimulators(log);
  // Warm every worker (imports, first queries) so the first test does not pay for a cold start.
  await Promise.all(
    Array.from({ length: 6 }, () =>
      Promise.all([fetch(`${url}/`), fetch(`${url}/api/v1/auth/session/`)]).catch(() => undefined),
    ),
  );
  say(`${phase.name}: fleetgate ${args.join(" ")} on ${url}; specs ${phase.specs.join(", ")}`);
  const vitest = spawn(
    join(web, "node_modules", ".bin", "vitest"),
    [
      "run",
      "--config",
      "e2e/vitest.config.ts",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${join(results, `e2e-results-${phase.name}.json`)}`,
      ...phase.specs.map((f) => `e2e/${f}`),
    ],
    {
      cwd: web,
      stdio: "inherit",
      env: {
        ...process.env,
        FLEETGATE_E2E_URL: url,
        FLEETGATE_E2E_DATA_DIR: dataDir,
        FLEETGATE_E2E_DEMO: phase.demo ? "1" : "",
        FLEETGATE_E2E_IDP: ssoEnv.FLEETGATE_OIDC_ISSUER ?? "",
      },
    },
  );
  // A hung browser must not hang CI: stop the whole run after a bound. The plain phase takes ~440 s on
  // a quiet 2-core machine and ~580 s with both cores contended, so 600 s left no margin.
  const limit = Number(process.env.FLEETGATE_E2E_TIMEOUT_S || 900);
  const watchdog = setTimeout(() => {
    console.error(`e2e: ${phase.name} still running after ${limit} s; stopping it`);
    vitest.kill("SIGKILL");
  }, limit * 1000);
  const rc = await new Promise((resolve) => vitest.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
  clearTimeout(watchdog);
  await stopPhase();
  return rc;
}

/** The "sso" phase's OpenID provider on a free port, and the server settings that point at it (an Entra-like tenant). */
async function startIdp(url) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const tenant = "5e2e0000-0000-4000-8000-00000000e2e0";
  const log = openSync(join(results, "idp-sso.log"), "a");
  idp = spawn(process.execPath, [join(web, "e2e", "fixtures", "oidc-idp.mjs")], {
    env: {
      ...process.env,
      IDP_PORT: String(port),
      IDP_CLIENT_ID: "fleetgate-e2e",
      IDP_CLIENT_SECRET: "fleetgate-e2e-secret",
      IDP_REDIRECT_URIS: `${url}/api/v1/auth/sso/callback/`,
      IDP_LOGOUT_URIS: `${url}/login`,
      IDP_TENANT: tenant,
      IDP_USERS: JSON.stringify({ erin: { groups: ["e2e-auditors"] } }),
    },
    stdio: ["ignore", log, log],
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${issuer}/.well-known/openid-configuration`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (idp.exitCode !== null) throw new Error(`the OpenID provider exited (${idp.exitCode}); see test-results/idp-sso.log`);
    await new Promise((r) => setTimeout(r, 200));
  }
  say(`sso: OpenID provider (oidc-provider) on ${issuer}`);
  return {
    FLEETGATE_OIDC_ISSUER: issuer,
    FLEETGATE_OIDC_CLIENT_ID: "fleetgate-e2e",
    FLEETGATE_OIDC_CLIENT_SECRET: "fleetgate-e2e-secret",
    FLEETGATE_OIDC_REDIRECT_URI: `${url}/api/v1/auth/sso/callback/`,
    FLEETGATE_OIDC_POST_LOGOUT_REDIRECT_URI: `${url}/login`,
    FLEETGATE_OIDC_TENANT_ID: tenant,
    FLEETGATE_OIDC_GRAPH_URL: `${issuer}/graph`,
    FLEETGATE_OIDC_DISPLAY_NAME: "Contoso (Entra ID)",
  };
}

/** `fleetgate up --demo` prints the simulators' addresses once their connectors are registered. */
async function waitSimulators(log) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const text = readFileSync(log, "utf8");
    if (/Simulators on /.test(text)) return;
    if (/simulators did not start/i.test(text)) throw new Error(`the demo simulators did not start:\n${text.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the demo simulators did not start in 60 s:\n${readFileSync(log, "utf8").slice(-3000)}`);
}

let code = 0;
try {
  for (const phase of PHASES) {
    const rc = await runPhase(phase);
    if (rc !== 0) code = rc;
  }
} catch (error) {
  console.error(`e2e: ${error instanceof Error ? error.message : error}`);
  code = 1;
} finally {
  await cleanup();
}
summarize(code);
process.exit(code);
