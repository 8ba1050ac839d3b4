// points-api's terminal keys as a POS (or an intruder) meets them: a real broker process, the API as
// its own process, the keys in its data directory. A command needs the key of the terminal it comes
// from; without a key, with a wrong one, from a terminal without one or with another terminal's, it
// is a 401 and nothing reaches points.commands (its end offsets stay where they were). Reads need none.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { errorSchema } from "../../../../apps/points-api/schemas.ts";
import { createDb, type Db } from "../../../../apps/shared/db/client.ts";
import { bearer, provisionTerminalKeys } from "../../../../apps/shared/terminal-keys.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { cleanupAll, waitFor } from "../../../helpers/wait.ts";
import { endOffsets, get, type JsonResponse, parseExactly, postJson, seedReferences } from "../helpers.ts";

const charge = { userId: "u1", amount: 5, storeId: "s1", terminalId: "t1" };
const secret = () => randomBytes(32).toString("base64url");

describe("points-api terminal keys", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let api: ServiceProcess;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address);
    db = createDb(appEnv.databaseUrl);
    await seedReferences(db);
    appEnv.terminalKey("t1");
    appEnv.terminalKey("t2");
    api = await startService("points-api", appEnv.env());
    // The topic exists from the API's start; one accepted command makes its end offsets worth comparing.
    assert.equal((await postJson(api.url, "/api/points/charge", charge, appEnv.authorization("t1"))).status, 202);
  });

  after(async () => {
    await cleanupAll(
      () => api?.stop(),
      () => db?.$disconnect(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  /** Sends a charge of terminal `terminalId` with `headers`, and asserts that points.commands did not grow meanwhile. */
  async function refused(headers: Record<string, string>, terminalId = "t1"): Promise<JsonResponse> {
    const before = await endOffsets(broker.address);
    const response = await postJson(api.url, "/api/points/charge", { ...charge, terminalId }, headers);
    assert.deepEqual(await endOffsets(broker.address), before, "nothing produced to points.commands");
    assert.equal(response.status, 401, JSON.stringify(response.body));
    assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="points-api terminals"');
    assert.equal(parseExactly(errorSchema, response.body).error.code, "unauthorized");
    return response;
  }

  it("when a command carries no key, then 401 saying how to send one, and nothing is produced", async () => {
    const without: Array<Record<string, string>> = [
      {},
      { authorization: "Basic dDE6c2VjcmV0" },
      { authorization: "Bearer" },
    ];
    for (const headers of without)
      assert.match(
        (await refused(headers)).body.error.message,
        /^a terminal's key is needed, as "Authorization: Bearer <key>"; .*terminal-keys\.json/,
        JSON.stringify(headers),
      );
  });

  it("when a command carries a wrong key for its terminal, then 401 and nothing is produced", async () => {
    const right = appEnv.terminalKey("t1");
    for (const key of [`t1.${secret()}`, `${right}x`, right.slice(0, -1)])
      assert.equal((await refused({ authorization: bearer(key) })).body.error.message, "wrong key for terminal t1");
  });

  it("when a command comes from a terminal that has no key, then 401 and nothing is produced", async () => {
    const response = await refused({ authorization: bearer(`t8.${secret()}`) }, "t8");
    assert.equal(response.body.error.message, "terminal t8 is unknown: it has no key");
  });

  it("when something that is no terminal key is sent, then 401 and nothing is produced", async () => {
    const response = await refused({ authorization: bearer("letmein") });
    assert.match(response.body.error.message, /^not a terminal key/);
  });

  it("when a command carries another terminal's key, then 401 and nothing is produced", async () => {
    const response = await refused(appEnv.authorization("t2"), "t1");
    assert.equal(response.body.error.message, "the key is terminal t2's, the command says it comes from terminal t1");
  });

  it("when a command carries its terminal's key, then it is accepted and on points.commands", async () => {
    const before = await endOffsets(broker.address);
    const response = await postJson(api.url, "/api/points/charge", charge, appEnv.authorization("t1"));
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const after = await endOffsets(broker.address);
    assert.equal(after[response.body.partition], String(BigInt(before[response.body.partition]!) + 1n));
  });

  it("when a terminal gets its key while the API runs, then its commands are accepted at once", async () => {
    const response = await postJson(
      api.url,
      "/api/points/charge",
      { ...charge, storeId: "s2", terminalId: "t3" },
      appEnv.authorization("t3"),
    );
    assert.equal(response.status, 202, JSON.stringify(response.body));
  });

  it("when a terminal's key is replaced, then the new key works at once and the old one is refused soon after", async () => {
    const old = appEnv.terminalKey("t2");
    const replaced = provisionTerminalKeys(appEnv.dataDir, ["t2"], { rotate: true }).t2!;
    assert.notEqual(replaced, old);
    // An unknown user: whichever key the API takes, nothing is produced.
    const ghost = { ...charge, userId: "ghost", terminalId: "t2" };
    const answer = async (key: string) =>
      (await postJson(api.url, "/api/points/charge", ghost, { authorization: bearer(key) })).status;
    assert.equal(await answer(replaced), 404);
    await waitFor(async () => (await answer(old)) === 401, { message: "the replaced key refused" });
  });

  it("when balances, the ledger, the stores, /metrics and the page are read without a key, then they are served", async () => {
    for (const path of [
      "/api/users/u1/balance",
      "/api/users/u1/ledger",
      "/api/ledger/recent",
      "/api/stores",
      "/metrics",
      "/",
    ])
      assert.equal((await get(api.url, path)).status, 200, path);
  });
});
