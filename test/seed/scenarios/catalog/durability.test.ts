import { describe, it } from "node:test";
import { durability } from "../../../../seed/scenarios/catalog/durability.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario durability", () => {
  it("when it runs on its fresh broker, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(durability);
  });
});
