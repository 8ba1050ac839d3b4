import { describe, it } from "node:test";
import { consumerOffsets } from "../../../../seed/scenarios/catalog/consumer-offsets.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario consumer-offsets", () => {
  it("when it runs on its fresh three-broker cluster, then every check holds", async () => {
    await runScenarioTest(consumerOffsets);
  });
});
