import { describe, it } from "node:test";
import { surplusConsumer } from "../../../../seed/scenarios/catalog/surplus-consumer.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario surplus-consumer", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(surplusConsumer);
  });
});
