import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scenarios } from "../../../seed/scenarios/catalog/index.ts";
import { runScript } from "../../helpers/command.ts";

describe("npm run scenario", () => {
  it("when run without arguments, then it lists every scenario with its number and title, and exits 0", async () => {
    const result = await runScript("seed/scenarios/main.ts");
    assert.equal(result.code, 0, result.stderr);
    for (const scenario of scenarios) {
      const line = result.stdout.split("\n").find((l) => l.includes(` ${scenario.name} `));
      assert.ok(
        line?.includes(String(scenario.number)) && line.includes(scenario.title.en),
        `${scenario.name} listed:\n${result.stdout}`,
      );
    }
  });

  it("when asked in Korean, then the list is in Korean", async () => {
    const result = await runScript("seed/scenarios/main.ts", ["--lang", "ko"]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(scenarios[0]!.title.ko), result.stdout);
  });

  it("when the scenario named is unknown, then one line says so and it exits 2", async () => {
    const result = await runScript("seed/scenarios/main.ts", ["no-such-scenario"]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    assert.match(result.stderr, /^scenario: unknown scenario "no-such-scenario"/);
  });

  it("when the language is neither en nor ko, then it is bad usage, exit 2", async () => {
    const result = await runScript("seed/scenarios/main.ts", ["--lang", "fr"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--lang must be en or ko/);
  });
});
