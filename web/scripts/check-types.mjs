// The UI's API types come from the committed contract, ../openapi.yaml, and nothing else.
//   node scripts/check-types.mjs --write   regenerate src/api/schema.d.ts (make -C web types)
//   node scripts/check-types.mjs           fail when the committed file differs from a fresh generation
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const committed = join(web, "src/api/schema.d.ts");
// Request fields that have a server-side default stay optional in the generated types.
const OPTIONS = ["--default-non-nullable", "false"];

const dir = mkdtempSync(join(tmpdir(), "fleetgate-types-"));
const fresh = join(dir, "schema.d.ts");
try {
  execFileSync(
    join(web, "node_modules/.bin/openapi-typescript"),
    [join(web, "../openapi.yaml"), "-o", fresh, ...OPTIONS],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (process.argv.includes("--write")) {
    copyFileSync(fresh, committed);
    console.log("src/api/schema.d.ts regenerated from openapi.yaml");
    process.exit(0);
  }
  const a = readFileSync(committed, "utf8");
  const b = readFileSync(fresh, "utf8");
  if (a !== b) {
    const al = a.split("\n");
    const bl = b.split("\n");
    const line = al.findIndex((l, i) => l !== bl[i]);
    console.error(`src/api/schema.d.ts is out of date with openapi.yaml (first difference at line ${line + 1}):`);
    console.error(`  committed: ${al[line] ?? "<end of file>"}`);
    console.error(`  generated: ${bl[line] ?? "<end of file>"}`);
    console.error("Run `make -C web types` (or `make schema`) and commit the result.");
    process.exit(1);
  }
  console.log("src/api/schema.d.ts matches openapi.yaml");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
