import { describe, it } from "node:test";
import { partitionsOnlyGrow } from "../../../../seed/scenarios/catalog/partitions-only-grow.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario partitions-only-grow", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(partitionsOnlyGrow);
  });
});
