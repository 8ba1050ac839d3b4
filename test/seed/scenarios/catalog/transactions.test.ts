import { describe, it } from "node:test";
import { transactions } from "../../../../seed/scenarios/catalog/transactions.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario transactions", () => {
  it("when it runs on its fresh broker, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(transactions);
  });
});
