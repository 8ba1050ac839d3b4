import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { produceIn } from "../../bench/transactions.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";

describe("transactions bench", () => {
  let broker: BrokerProcess;
  before(async () => {
    broker = await startBroker({ config: { "transaction.state.log.num.partitions": 3 } });
  });
  after(() => broker?.cleanup());

  for (const client of ["ours", "kafkajs"] as const) {
    it(`when ${client} sends 50 records in sends of 10, 2 sends per transaction, then 3 transactions commit and the partition holds the records and a marker each`, async () => {
      const { row, stored } = await produceIn(
        broker.address,
        client,
        { kind: "transactional", sendsPerTransaction: 2 },
        50,
        10,
        broker.pid,
      );
      assert.equal(row.records, 50);
      assert.equal(row.transactions, 3);
      assert.equal(stored, 53);
      assert.ok(row.recordsPerSec > 0 && row.transactionsPerSec > 0, JSON.stringify(row));
    });

    it(`when ${client} sends idempotently, then no transaction is counted and no marker is stored`, async () => {
      const { row, stored } = await produceIn(broker.address, client, { kind: "idempotent" }, 30, 10, broker.pid);
      assert.equal(row.transactions, 0);
      assert.equal(stored, 30);
    });
  }
});
