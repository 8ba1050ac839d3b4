// How node runs one of the project's TypeScript entry points (a broker, a service, a CLI) in a
// process of its own: through tsx's loader, which compiles every module as it is imported — or,
// when ENTRY_POINT_BUNDLES names a directory of bundles made from this tree (the test run makes
// them first, see test/helpers/test-bundles.ts), from the entry point's bundle there.
// Loading a broker through tsx took 1.3–1.6 s of CPU, from its bundle 0.54 s; the tests start
// hundreds of such processes on two cores.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, which entry points are named from. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Where `script`'s bundle goes in `dir`: the same path from the root, ending in .mjs. */
export function bundlePath(dir: string, script: string): string {
  const relative = path.relative(REPO_ROOT, path.resolve(REPO_ROOT, script));
  return path.join(path.resolve(REPO_ROOT, dir), relative.replace(/\.ts$/, ".mjs"));
}

/** Node's arguments that run `script` (from the repository root, or absolute), before the script's own. */
export function entryPointArgs(script: string, bundles = process.env.ENTRY_POINT_BUNDLES): string[] {
  if (bundles) {
    const bundle = bundlePath(bundles, script);
    if (existsSync(bundle)) return [bundle];
  }
  return ["--import", "tsx", script];
}

/** Whether a process's arguments (as in /proc/<pid>/cmdline) run `script` (from the root), through tsx or from its bundle. */
export function runsEntryPoint(args: readonly string[], script: string): boolean {
  const stem = script.replace(/\.ts$/, "");
  return args.some((arg) => arg.endsWith(`${stem}.ts`) || arg.endsWith(`${stem}.mjs`));
}
