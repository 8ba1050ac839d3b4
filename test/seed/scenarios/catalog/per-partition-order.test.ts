import { describe, it } from "node:test";
import { perPartitionOrder } from "../../../../seed/scenarios/catalog/per-partition-order.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario per-partition-order", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(perPartitionOrder);
  });
});
