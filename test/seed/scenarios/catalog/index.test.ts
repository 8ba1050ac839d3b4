import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";
import { findScenario, scenarios } from "../../../../seed/scenarios/catalog/index.ts";
import type { Scenario } from "../../../../seed/scenarios/scenario.ts";

const catalogDir = fileURLToPath(new URL("../../../../seed/scenarios/catalog/", import.meta.url));

describe("the scenario catalog", () => {
  it("when listed, then every module of the folder is in it, in the issue's order, names and numbers unique", async () => {
    const modules = readdirSync(catalogDir).filter((f) => f.endsWith(".ts") && f !== "index.ts");
    const exported: Scenario[] = [];
    for (const file of modules) {
      // Its own instance of the module (tsImport's), so a scenario is matched by name and number.
      const module = (await tsImport(new URL(file, `file://${catalogDir}`).href, import.meta.url)) as Record<
        string,
        unknown
      >;
      exported.push(
        ...Object.values(module).filter(
          (v): v is Scenario => typeof v === "object" && v !== null && "run" in v && "number" in v,
        ),
      );
    }
    assert.ok(exported.length > 0, "the folder's modules export scenarios");
    for (const scenario of exported)
      assert.ok(
        scenarios.some((listed) => listed.name === scenario.name && listed.number === scenario.number),
        `${scenario.name} is not in the list`,
      );
    const numbers = scenarios.map((s) => s.number);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
    );
    assert.equal(new Set(numbers).size, numbers.length, "numbers unique");
    assert.equal(new Set(scenarios.map((s) => s.name)).size, scenarios.length, "names unique");
  });

  it("when a scenario is described, then its name is kebab case and its texts are in English and Korean", () => {
    for (const s of scenarios) {
      assert.match(s.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      for (const text of [s.title, s.concept, ...(s.notAvailable ? [s.notAvailable] : [])])
        assert.ok(text.en.trim() !== "" && text.ko.trim() !== "" && text.en !== text.ko, `${s.name}: ${text.en}`);
    }
  });

  it("when looked up by name or number, then the scenario is found; otherwise nothing", () => {
    const [first] = scenarios;
    assert.equal(findScenario(first!.name), first);
    assert.equal(findScenario(String(first!.number)), first);
    assert.equal(findScenario("no-such-scenario"), undefined);
  });
});
