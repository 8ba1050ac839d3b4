import { describe, it } from "node:test";
import { kraftControllerFailover } from "../../../../seed/scenarios/catalog/kraft-controller-failover.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario kraft-controller-failover", () => {
  it("when it runs on its fresh cluster of 3 brokers, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(kraftControllerFailover);
  });
});
