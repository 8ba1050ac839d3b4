// points-api while its broker is down: a POS gets a 503 it can retry, nothing is written late,
// and the API takes commands again once the broker is back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { errorSchema } from "../../../apps/points-api/schemas.ts";
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll } from "../../helpers/wait.ts";
import { endOffsets, get, parseExactly, postJson, seedReferences } from "./helpers.ts";

const charge = { userId: "u1", amount: 500, storeId: "s1", terminalId: "t1" };

describe("points-api when the broker is down", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let api: ServiceProcess;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address);
    db = createDb(appEnv.databaseUrl);
    await seedReferences(db);
    api = await startService("points-api", appEnv.env());
  });

  after(async () => {
    await cleanupAll(
      () => api?.stop(),
      () => db?.$disconnect(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  it("when the broker is stopped, then a charge gets 503, nothing is produced after it is back, and the retry is accepted once", async () => {
    const first = await postJson(api.url, "/api/points/charge", charge, appEnv.authorization("t1"));
    assert.equal(first.status, 202);
    const before = await endOffsets(broker.address);

    await broker.stop();
    const duringOutage = await postJson(api.url, "/api/points/charge", charge, {
      ...appEnv.authorization("t1"),
      "Idempotency-Key": "during-outage",
    });
    const groupsDuringOutage = await get(api.url, "/api/groups");
    await broker.restart();

    assert.equal(duringOutage.status, 503);
    const { error } = parseExactly(errorSchema, duringOutage.body);
    assert.equal(error.code, "unavailable");
    assert.match(error.message, /^broker unavailable: the command was not written to points\.commands, try again/);
    assert.equal(groupsDuringOutage.status, 503);
    assert.match(groupsDuringOutage.body.error.message, /^broker unavailable/);
    assert.deepEqual(await endOffsets(broker.address), before, "nothing produced after the broker is back");

    const retry = await postJson(api.url, "/api/points/charge", charge, {
      ...appEnv.authorization("t1"),
      "Idempotency-Key": "during-outage",
    });

    assert.equal(retry.status, 202, JSON.stringify(retry.body));
    assert.equal(retry.headers.get("Idempotent-Replayed"), null, "a failed attempt is not remembered");
    assert.equal(retry.body.partition, first.body.partition);
    assert.equal(retry.body.offset, before[first.body.partition], "the retry is the next record of the partition");
    const afterRetry = await endOffsets(broker.address);
    assert.deepEqual(afterRetry, {
      ...before,
      [first.body.partition]: String(BigInt(before[first.body.partition]!) + 1n),
    });
  });
});
