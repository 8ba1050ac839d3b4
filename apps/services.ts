// The demo's services, in start order. `npm start` runs them all; `npm run svc -- <name>` one.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./supervisor.ts";

export const demoServices = ["ledger", "notification", "analytics", "points-api"] as const;

/** Every folder under apps/ with a main.ts: the demo's services plus ones made with new:service. */
export function availableServices(): string[] {
  const appsDir = path.join(repoRoot, "apps");
  return readdirSync(appsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(appsDir, e.name, "main.ts")))
    .map((e) => e.name)
    .sort();
}

export function serviceScript(name: string): string {
  return path.join("apps", name, "main.ts");
}

export { serviceReadyLine } from "./shared/process.ts";
