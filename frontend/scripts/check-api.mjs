// CI guard: regenerate the typed API schema from openapi.json into a temp file and fail when it
// differs from the committed src/api/schema.d.ts (run `npm run gen:api` to refresh it).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "src/api/schema.d.ts";
const dir = mkdtempSync(join(tmpdir(), "jiebang-api-"));
const fresh = join(dir, "schema.d.ts");
let status = 0;
const gen = spawnSync("npx", ["--no-install", "openapi-typescript", "openapi.json", "-o", fresh], {
  stdio: ["ignore", "ignore", "inherit"],
});
if (gen.status !== 0) {
  console.error("openapi-typescript failed");
  status = 1;
} else if (readFileSync(fresh, "utf8") !== readFileSync(committed, "utf8")) {
  console.error(`${committed} differs from openapi.json: run \`npm run gen:api\` and commit it`);
  status = 1;
} else {
  console.log(`${committed} is up to date with openapi.json`);
}
rmSync(dir, { recursive: true, force: true });
process.exit(status);
