// The fault test's load against one broker: both clients send their keys' records one at a time,
// each acknowledgement is recorded with the partition and offset the broker gave it, and what the
// log holds is exactly what was acknowledged, each key in the order it was sent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkHistory, isClean } from "../../../seed/fault/checker.ts";
import { KeyedLoad, keyOf, loadClients, recordValue } from "../../../seed/fault/keyed-load.ts";
import { readToEnd } from "../../../seed/fault/read-back.ts";
import { kafkaClient } from "../../acceptance/helpers.ts";
import { useBroker } from "../../helpers/broker-process.ts";
import { disconnectQuietly, waitFor } from "../../helpers/wait.ts";

describe("KeyedLoad", () => {
  const broker = useBroker();

  it("when both clients send keyed records, then every acknowledged record is in the log where it was acknowledged, keys in order", async () => {
    const topic = "keyed-load";
    const admin = kafkaClient(broker.address, "keyed-load-admin").admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await disconnectQuietly(admin);

    const load = new KeyedLoad({ bootstrap: [broker.address], topic, clients: loadClients, keysPerClient: 3 });
    load.start();
    await waitFor(() => loadClients.every((client) => load.ackedBy(client) >= 30), {
      message: () => `30 acknowledged per client (${loadClients.map((c) => load.ackedBy(c))})`,
    });
    const history = await load.stop();

    assert.deepEqual(history.unacknowledged, []);
    assert.deepEqual(history.errors, {});
    for (const client of loadClients) {
      for (let k = 0; k < 3; k++) {
        const key = keyOf(client, k);
        const seqs = history.acked.filter((r) => r.key === key).map((r) => r.seq);
        assert.deepEqual(
          seqs,
          seqs.map((_, i) => i),
          `${key}: sends one after another from 0`,
        );
        assert.equal(new Set(history.acked.filter((r) => r.key === key).map((r) => r.partition)).size, 1);
      }
    }
    assert.equal(history.acked[0]!.value, recordValue(history.acked[0]!.key, history.acked[0]!.seq));

    const final = await readToEnd([broker.address], topic);
    const report = checkHistory({ acked: history.acked, unacknowledged: [], final, others: [] });
    assert.equal(isClean(report), true, JSON.stringify(report.examples));
    assert.equal(report.read, history.acked.length);
  });
});
