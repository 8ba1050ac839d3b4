import { describe, it } from "node:test";
import { migrateToFewerPartitions } from "../../../../seed/scenarios/catalog/migrate-to-fewer-partitions.ts";
import { runScenarioTest } from "../../../helpers/scenario.ts";

describe("scenario migrate-to-fewer-partitions", () => {
  it("when commands flow while the topic is migrated to fewer partitions on its fresh broker, then every check holds", async () => {
    await runScenarioTest(migrateToFewerPartitions);
  });
});
