import { describe, it } from "node:test";
import { rebalanceJoinLeave } from "../../../../seed/scenarios/catalog/rebalance-join-leave.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario rebalance-join-leave", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(rebalanceJoinLeave);
  });
});
