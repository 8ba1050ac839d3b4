import { describe, it } from "node:test";
import { standaloneAssign } from "../../../../seed/scenarios/catalog/standalone-assign.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario standalone-assign", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(standaloneAssign);
  });
});
