import { describe, it } from "node:test";
import { recordAnatomy } from "../../../../seed/scenarios/catalog/record-anatomy.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario record-anatomy", () => {
  it("when it runs on its fresh broker, then every check holds", async () => {
    await runScenarioTest(recordAnatomy);
  });
});
