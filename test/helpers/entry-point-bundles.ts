// Builds the bundles the test run starts its processes from (apps/shared/entry-point.ts says why):
// one ESM file per entry point, npm packages left as imports. `node --import tsx
// test/helpers/entry-point-bundles.ts <dir>` empties <dir> and fills it; `npm test` runs it first
// and hands <dir> to the tests as ENTRY_POINT_BUNDLES, so a test file run alone (no bundles) still
// goes through tsx and never meets a bundle older than the code.
//
// Every module keeps its own import.meta.url (rewritten to its source file's URL before it is
// bundled), so paths found from it (the demo page, the migrations, the repository root) are the
// same as under tsx.
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { REPO_ROOT } from "../../apps/shared/entry-point.ts";

/** The scripts the tests start as processes of their own. */
export const ENTRY_POINTS = [
  "broker/server/main.ts",
  "apps/ledger/main.ts",
  "apps/points-api/main.ts",
  "apps/notification/main.ts",
  "apps/analytics/main.ts",
  "apps/cluster.ts",
  "apps/start.ts",
  "apps/svc.ts",
  "seed/seed.ts",
  "seed/load/main.ts",
  "seed/lab/main.ts",
  "seed/lab/verify-main.ts",
  "seed/migrate/main.ts",
  "seed/scenarios/main.ts",
  "seed/scenarios/transaction-child.ts",
  "test/helpers/group-member.ts",
];

const keepModuleUrls: Plugin = {
  name: "keep-module-urls",
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path: file }) => {
      const source = await readFile(file, "utf8");
      return { contents: source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(file).href)), loader: "ts" };
    });
  },
};

/** Empties `dir` and bundles `scripts` (from the repository root, or absolute) into it. */
export async function buildEntryPointBundles(dir: string, scripts: string[] = ENTRY_POINTS): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await build({
    entryPoints: scripts.map((script) => path.resolve(REPO_ROOT, script)),
    outbase: REPO_ROOT,
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    plugins: [keepModuleUrls],
    logLevel: "warning",
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: entry-point-bundles <dir>\n");
    process.exit(2);
  }
  await buildEntryPointBundles(path.resolve(dir));
}
