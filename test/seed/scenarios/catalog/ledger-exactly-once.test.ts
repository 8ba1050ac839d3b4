import { describe, it } from "node:test";
import { ledgerExactlyOnce } from "../../../../seed/scenarios/catalog/ledger-exactly-once.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario ledger-exactly-once", () => {
  it("when it runs on its fresh broker, then every check holds", { timeout: 180_000 }, async () => {
    await runScenarioTest(ledgerExactlyOnce);
  });
});
