// Fails when src/api/schema.d.ts differs from what openapi-typescript generates from ../openapi.yaml.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const committed = join(web, "src/api/schema.d.ts");
const dir = mkdtempSync(join(tmpdir(), "fleetgate-types-"));
const fresh = join(dir, "schema.d.ts");
try {
  execFileSync(join(web, "node_modules/.bin/openapi-typescript"), [join(web, "../openapi.yaml"), "-o", fresh], {
    stdio: ["ignore", "ignore", "inherit"],
  });
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
