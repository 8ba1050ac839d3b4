import { describe, it } from "node:test";
import { idempotentProducer } from "../../../../seed/scenarios/catalog/idempotent-producer.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario idempotent-producer", () => {
  it("when it runs on its fresh broker, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(idempotentProducer);
  });
});
