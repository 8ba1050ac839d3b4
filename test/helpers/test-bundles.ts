// Builds the bundles `npm test` runs: one ESM file per test file, and one per program the tests
// start as a process of its own (apps/shared/entry-point.ts says why), npm packages left as
// imports. `node --import tsx test/helpers/test-bundles.ts <dir>` empties <dir> and fills
// it; `npm test` runs it first, runs node's test runner on the test files' bundles (no loader: a
// test file that imports the broker and the client spent about a third of its CPU in tsx's loader)
// and hands <dir> to the tests as ENTRY_POINT_BUNDLES. A test file run alone (`npx tsx --test
// <file>`) goes through tsx, and its processes too, so it never meets a bundle older than the code.
//
// Every module keeps its own import.meta.url, dirname and filename (rewritten to its source file's
// before it is bundled), so paths found from them (the demo page, the migrations, the repository
// root, a test's fixtures) are the same as under tsx. A test that imports a .ts file named only at
// run time does it through tsx's tsImport. With their source maps, `node --enable-source-maps`
// names the .ts files and lines in a failure's stack and in the test runner's locations.
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin, transform } from "esbuild";
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

/**
 * Every module's `import.meta.url`, `.dirname` and `.filename` replaced by its source file's: by
 * esbuild's define, which rewrites the expressions in the code and leaves strings and comments as
 * they are (an inline source map leads the bundle's map back to the source).
 */
const keepModuleUrls: Plugin = {
  name: "keep-module-urls",
  setup(builder) {
    const tsconfigRaw = readFile(path.join(REPO_ROOT, "tsconfig.json"), "utf8");
    builder.onLoad({ filter: /\.ts$/ }, async ({ path: file }) => {
      const { code } = await transform(await readFile(file, "utf8"), {
        loader: "ts",
        format: "esm",
        target: "node20",
        sourcefile: file,
        sourcemap: "inline",
        tsconfigRaw: await tsconfigRaw,
        define: {
          "import.meta.url": JSON.stringify(pathToFileURL(file).href),
          "import.meta.dirname": JSON.stringify(path.dirname(file)),
          "import.meta.filename": JSON.stringify(file),
        },
      });
      return { contents: code, loader: "js" };
    });
  },
};

/** Every `*.test.ts` under test/, from the repository root, in path order. */
export async function testFiles(): Promise<string[]> {
  const entries = await readdir(path.join(REPO_ROOT, "test"), { recursive: true });
  return entries
    .filter((entry) => entry.endsWith(".test.ts"))
    .map((entry) => path.join("test", entry))
    .sort();
}

/** Empties `dir` and bundles `scripts` (from the repository root, or absolute) into it. */
export async function buildBundles(dir: string, scripts: string[] = ENTRY_POINTS): Promise<void> {
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
    sourcemap: true,
    sourcesContent: false,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write("usage: test-bundles <dir>\n");
    process.exit(2);
  }
  await buildBundles(path.resolve(dir), [...ENTRY_POINTS, ...(await testFiles())]);
}
