import { describe, it } from "node:test";
import type { ICustomPartitioner } from "../../../../broker/client/producer/types.ts";
import { keyRouting, keyRoutingWith } from "../../../../seed/scenarios/catalog/key-routing.ts";
import { runScenarioExpectingFailure, runScenarioTest } from "../../../helpers/scenario.ts";

/** A broken partitioner: it ignores the key and deals messages out in turn, as if none had one. */
const keyBlindPartitioner: ICustomPartitioner = () => {
  let next = 0;
  return ({ partitionMetadata }) => next++ % partitionMetadata.length;
};

describe("scenario key-routing", () => {
  it("when it runs on its fresh broker, then every check holds (in Korean too)", async () => {
    await runScenarioTest(keyRouting, { lang: "ko" });
  });

  it("when the producer's partitioner ignores the key, then the scenario fails on where users' commands landed", async () => {
    await runScenarioExpectingFailure(
      keyRoutingWith(keyBlindPartitioner),
      "every user's commands landed on one partition",
    );
  });
});
