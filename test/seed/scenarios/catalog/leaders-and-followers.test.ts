import { describe, it } from "node:test";
import { leadersAndFollowers } from "../../../../seed/scenarios/catalog/leaders-and-followers.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario leaders-and-followers", () => {
  it("when it runs on its fresh cluster of 3 brokers, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(leadersAndFollowers);
  });
});
