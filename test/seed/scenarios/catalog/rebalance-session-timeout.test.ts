import { describe, it } from "node:test";
import { rebalanceSessionTimeout } from "../../../../seed/scenarios/catalog/rebalance-session-timeout.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario rebalance-session-timeout", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(rebalanceSessionTimeout);
  });
});
