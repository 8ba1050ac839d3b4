// The latency suite's raw Produce floor, against a real broker process: every request's records
// land, spread over the partitions as asked, and each request is timed once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTopic, withAdmin } from "../../bench/lib.ts";
import { pacedRawProduce } from "../../bench/raw-produce-floor.ts";
import { useBroker } from "../helpers/broker-process.ts";

describe("pacedRawProduce", () => {
  const broker = useBroker();

  it("when 7 records a request go to 3 partitions for a moment, then each of the 20 ticks is one timed request and each partition holds its share of every one (3, 2, 2)", async () => {
    const topic = "raw-produce-floor";
    await createTopic(broker.address, topic, 3);
    const result = await pacedRawProduce({
      address: broker.address,
      brokerPid: broker.pid,
      topic,
      partitions: 3,
      recordsPerRequest: 7,
      recordBytes: 100,
      tickMs: 10,
      seconds: 0.2,
    });
    const requests = result.times.length;
    assert.equal(requests, 20);
    assert.ok(
      result.times.every((ms) => Number.isFinite(ms) && ms > 0),
      String(result.times),
    );
    const offsets = await withAdmin(broker.address, (admin) => admin.fetchTopicOffsets(topic));
    const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    assert.deepEqual([high.get(0), high.get(1), high.get(2)], [3 * requests, 2 * requests, 2 * requests]);
    assert.ok(
      result.brokerCpuUsPerRequest !== null && result.brokerCpuUsPerRequest >= 0,
      String(result.brokerCpuUsPerRequest),
    );
  });

  it("when asked for a partition the topic lacks, then it fails with that partition's error instead of timing refusals", async () => {
    await createTopic(broker.address, "raw-produce-floor-small", 1);
    await assert.rejects(
      pacedRawProduce({
        address: broker.address,
        brokerPid: undefined,
        topic: "raw-produce-floor-small",
        partitions: 2,
        recordsPerRequest: 2,
        recordBytes: 10,
        tickMs: 10,
        seconds: 0.05,
      }),
      /produce to raw-produce-floor-small\/1 failed: error 3/,
    );
  });
});
