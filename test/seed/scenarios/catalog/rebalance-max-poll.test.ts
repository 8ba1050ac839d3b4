import { describe, it } from "node:test";
import { rebalanceMaxPoll } from "../../../../seed/scenarios/catalog/rebalance-max-poll.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario rebalance-max-poll", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(rebalanceMaxPoll);
  });
});
