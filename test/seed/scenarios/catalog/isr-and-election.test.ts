import { describe, it } from "node:test";
import { isrAndElection } from "../../../../seed/scenarios/catalog/isr-and-election.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario isr-and-election", () => {
  it("when it runs on its fresh cluster of 3 brokers, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(isrAndElection);
  });
});
