import { describe, it } from "node:test";
import { lessStopping, lessStoppingWith } from "../../../../seed/scenarios/catalog/less-stopping.ts";
import { runScenarioExpectingFailure, runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario less-stopping", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(lessStopping);
  });

  it("when its cooperative part is given the eager protocol instead, then the check that the other member kept consuming fails", async () => {
    await runScenarioExpectingFailure(lessStoppingWith({}), "ledger-1 kept consuming");
  });
});
