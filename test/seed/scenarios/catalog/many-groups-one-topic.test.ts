import { describe, it } from "node:test";
import { manyGroupsOneTopic } from "../../../../seed/scenarios/catalog/many-groups-one-topic.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario many-groups-one-topic", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(manyGroupsOneTopic);
  });
});
