// points-api's command endpoints as a POS sees them: a real broker process, the API as its own
// process, a real SQLite file; what the API produced is read back from points.commands.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { commandAcceptedSchema, commandOutcomeSchema, errorSchema } from "../../../../apps/points-api/schemas.ts";
import { createDb, type Db } from "../../../../apps/shared/db/client.ts";
import { COMMANDS_TOPIC, pointsCommandSchema } from "../../../../apps/shared/topics.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../../../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../../../helpers/broker-process.ts";
import { cleanupAll } from "../../../helpers/wait.ts";
import {
  CommandsTap,
  endOffsets,
  type JsonResponse,
  parseExactly,
  postJson,
  request,
  seedReferences,
} from "../helpers.ts";

const MAX_AMOUNT = 10_000;
const charge = { userId: "u1", amount: 500, storeId: "s1", terminalId: "t1" };

describe("points-api commands", () => {
  let broker: BrokerProcess;
  let appEnv: AppEnv;
  let db: Db;
  let ledgerDb: Db;
  let api: ServiceProcess;
  let tap: CommandsTap;

  before(async () => {
    broker = await startBroker();
    appEnv = createAppEnv(broker.address, { POINTS_MAX_AMOUNT: String(MAX_AMOUNT) });
    db = createDb(appEnv.databaseUrl);
    ledgerDb = createDb(appEnv.databaseUrlOf("ledger"));
    await seedReferences(db);
    api = await startService("points-api", appEnv.env());
    tap = await CommandsTap.start(broker.address);
  });

  after(async () => {
    await cleanupAll(
      () => tap?.stop(),
      () => api?.stop(),
      () => db?.$disconnect(),
      () => ledgerDb?.$disconnect(),
      () => broker?.cleanup(),
      () => appEnv?.cleanup(),
    );
  });

  /** The terminal a body names, whose key goes with it (t1 when it names none). */
  const terminalOf = (json: unknown): string => {
    const named = (json as { terminalId?: unknown } | null)?.terminalId;
    return typeof named === "string" ? named : "t1";
  };
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    postJson(api.url, path, json, { ...appEnv.authorization(terminalOf(json)), ...headers });

  /** Runs `send` and asserts that points.commands did not grow meanwhile. */
  async function producesNothing(send: () => Promise<JsonResponse>): Promise<JsonResponse> {
    const before = await endOffsets(broker.address);
    const response = await send();
    assert.deepEqual(await endOffsets(broker.address), before, "nothing produced to points.commands");
    return response;
  }

  it("when a charge is accepted, then it is on points.commands at the returned partition and offset, keyed by userId, with the command as its value", async () => {
    const response = await post("/api/points/charge", { ...charge, orderId: "order-1", reason: "purchase" });

    assert.equal(response.status, 202);
    const accepted = parseExactly(commandAcceptedSchema, response.body);
    assert.match(accepted.commandId, /^[0-9a-f-]{36}$/, "a random UUID when no key is given");
    const record = await tap.waitForRecordAt(accepted.partition, accepted.offset);
    assert.equal(record.key, "u1");
    const command = pointsCommandSchema.parse(JSON.parse(record.value));
    assert.deepEqual(
      { ...command, issuedAt: undefined },
      {
        commandId: accepted.commandId,
        type: "charge",
        userId: "u1",
        amount: 500,
        storeId: "s1",
        terminalId: "t1",
        orderId: "order-1",
        reason: "purchase",
        issuedAt: undefined,
      },
    );
    assert.ok(!Number.isNaN(Date.parse(command.issuedAt)), "issuedAt is an ISO time");
  });

  it("when a deduct is accepted, then its command says deduct", async () => {
    const response = await post("/api/points/deduct", { ...charge, amount: 100 }, { "Idempotency-Key": "deduct-1" });

    assert.equal(response.status, 202);
    const record = await tap.waitForRecordAt(response.body.partition, response.body.offset);
    assert.deepEqual(
      { type: JSON.parse(record.value).type, commandId: JSON.parse(record.value).commandId },
      { type: "deduct", commandId: "deduct-1" },
    );
  });

  it("when one user sends several commands, then they all land on one partition, in order", async () => {
    const answers: JsonResponse[] = [];
    for (const amount of [1, 2, 3]) answers.push(await post("/api/points/charge", { ...charge, userId: "u2", amount }));

    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202, 202],
    );
    assert.equal(new Set(answers.map((a) => a.body.partition)).size, 1);
    const offsets = answers.map((a) => BigInt(a.body.offset));
    assert.ok(offsets[0]! < offsets[1]! && offsets[1]! < offsets[2]!, `offsets increase: ${offsets.join(", ")}`);
    for (const answer of answers)
      assert.equal((await tap.waitForRecordAt(answer.body.partition, answer.body.offset)).key, "u2");
  });

  it("when the same Idempotency-Key is sent twice with the same payload, then one record is produced and the retry gets the first answer", async () => {
    const before = await endOffsets(broker.address);
    const first = await post("/api/points/charge", charge, { "Idempotency-Key": "pos-7-order-42" });
    const retry = await post("/api/points/charge", charge, { "Idempotency-Key": "pos-7-order-42" });

    assert.equal(first.status, 202);
    assert.equal(first.headers.get("Idempotent-Replayed"), null);
    assert.equal(retry.status, 202);
    assert.equal(retry.headers.get("Idempotent-Replayed"), "true");
    assert.deepEqual(retry.body, first.body);
    assert.equal(first.body.commandId, "pos-7-order-42");
    const after = await endOffsets(broker.address);
    const grown = Object.keys(after).filter((p) => after[Number(p)] !== before[Number(p)]);
    assert.deepEqual(grown, [String(first.body.partition)]);
    assert.equal(
      BigInt(after[first.body.partition]!) - BigInt(before[first.body.partition]!),
      1n,
      "exactly one record",
    );
  });

  it("when the same Idempotency-Key comes with a different payload, then 409 and nothing is produced", async () => {
    await post("/api/points/charge", charge, { "Idempotency-Key": "pos-7-order-43" });

    const other = await producesNothing(() =>
      post("/api/points/charge", { ...charge, amount: 501 }, { "Idempotency-Key": "pos-7-order-43" }),
    );
    const asDeduct = await producesNothing(() =>
      post("/api/points/deduct", charge, { "Idempotency-Key": "pos-7-order-43" }),
    );

    for (const response of [other, asDeduct]) {
      assert.equal(response.status, 409);
      assert.deepEqual(parseExactly(errorSchema, response.body).error, {
        code: "conflict",
        message: "Idempotency-Key pos-7-order-43 was already used for a different command",
      });
    }
  });

  it("when retries with the same key race each other, then one record is produced and both get the same answer", async () => {
    const before = await endOffsets(broker.address);
    const answers = await Promise.all(
      [1, 2, 3].map(() => post("/api/points/charge", { ...charge, userId: "u3" }, { "Idempotency-Key": "racing-key" })),
    );

    assert.deepEqual(
      answers.map((a) => a.status),
      [202, 202, 202],
    );
    assert.deepEqual(answers.map((a) => a.headers.get("Idempotent-Replayed")).sort(), [null, "true", "true"]);
    assert.equal(new Set(answers.map((a) => JSON.stringify(a.body))).size, 1);
    const { partition } = answers[0]!.body;
    assert.equal(BigInt((await endOffsets(broker.address))[partition]!) - BigInt(before[partition]!), 1n);
  });

  it("when commandId is given in the body, then it is the key; when it differs from the Idempotency-Key header, then 400", async () => {
    const first = await post("/api/points/charge", { ...charge, commandId: "body-key-1" });
    const retry = await post(
      "/api/points/charge",
      { ...charge, commandId: "body-key-1" },
      { "Idempotency-Key": "body-key-1" },
    );
    const differing = await producesNothing(() =>
      post("/api/points/charge", { ...charge, commandId: "body-key-2" }, { "Idempotency-Key": "header-key-2" }),
    );

    assert.equal(first.status, 202);
    assert.equal(first.body.commandId, "body-key-1");
    assert.equal(retry.headers.get("Idempotent-Replayed"), "true");
    assert.deepEqual(retry.body, first.body);
    assert.equal(differing.status, 400);
    assert.match(
      differing.body.error.message,
      /Idempotency-Key header \(header-key-2\) and commandId \(body-key-2\) differ/,
    );
  });

  it("when ?wait is given and the ledger applies the command meanwhile, then 200 with the outcome", async () => {
    const pending = post("/api/points/charge?wait=30000", charge, { "Idempotency-Key": "wait-applied" });
    const record = await tap.waitForCommand("wait-applied");
    await ledgerDb.ledgerEntry.create({ data: ledgerEntryFor(record, { status: "applied", balanceAfter: 1500 }) });

    const response = await pending;

    assert.equal(response.status, 200);
    assert.deepEqual(parseExactly(commandOutcomeSchema, response.body), {
      commandId: "wait-applied",
      status: "applied",
      balanceAfter: 1500,
      partition: record.partition,
      offset: record.offset,
    });
  });

  it("when ?wait is given and the ledger rejects the command, then 200 with status rejected and the reason", async () => {
    const pending = post(
      "/api/points/deduct?wait=30000",
      { ...charge, amount: 9000 },
      { "Idempotency-Key": "wait-rejected" },
    );
    const record = await tap.waitForCommand("wait-rejected");
    await ledgerDb.ledgerEntry.create({
      data: ledgerEntryFor(record, { status: "rejected", balanceAfter: 1500, reason: "insufficient balance" }),
    });

    const response = await pending;

    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      commandId: "wait-rejected",
      status: "rejected",
      balanceAfter: 1500,
      reason: "insufficient balance",
      partition: record.partition,
      offset: record.offset,
    });
  });

  it("when ?wait runs out before the ledger has an entry, then 202 accepted", async () => {
    const response = await post("/api/points/charge?wait=20", charge, { "Idempotency-Key": "wait-timeout" });

    assert.equal(response.status, 202);
    assert.equal(parseExactly(commandAcceptedSchema, response.body).commandId, "wait-timeout");
  });

  it("when a retry with ?wait comes after the ledger applied the command, then it gets the outcome, marked replayed", async () => {
    const first = await post("/api/points/charge", charge, { "Idempotency-Key": "retry-after-apply" });
    const record = await tap.waitForRecordAt(first.body.partition, first.body.offset);
    await ledgerDb.ledgerEntry.create({ data: ledgerEntryFor(record, { status: "applied", balanceAfter: 2000 }) });

    const retry = await post("/api/points/charge?wait=1000", charge, { "Idempotency-Key": "retry-after-apply" });

    assert.equal(retry.status, 200);
    assert.equal(retry.headers.get("Idempotent-Replayed"), "true");
    assert.deepEqual(retry.body, {
      commandId: "retry-after-apply",
      status: "applied",
      balanceAfter: 2000,
      partition: first.body.partition,
      offset: first.body.offset,
    });
  });

  const badRequests: Array<{
    when: string;
    send: () => Promise<JsonResponse>;
    status: number;
    code: string;
    message: string | RegExp;
  }> = [
    {
      when: "fields are missing",
      send: () => post("/api/points/charge", {}),
      status: 400,
      code: "bad_request",
      message: /^userId: Invalid input: expected string, received undefined; amount: .*; storeId: .*; terminalId: /,
    },
    {
      when: "the amount is negative",
      send: () => post("/api/points/charge", { ...charge, amount: -5 }),
      status: 400,
      code: "bad_request",
      message: "amount: Too small: expected number to be >0",
    },
    {
      when: "the amount is zero",
      send: () => post("/api/points/charge", { ...charge, amount: 0 }),
      status: 400,
      code: "bad_request",
      message: "amount: Too small: expected number to be >0",
    },
    {
      when: "the amount is fractional",
      send: () => post("/api/points/charge", { ...charge, amount: 1.5 }),
      status: 400,
      code: "bad_request",
      message: "amount: Invalid input: expected int, received number",
    },
    {
      when: "the amount is over the maximum",
      send: () => post("/api/points/deduct", { ...charge, amount: MAX_AMOUNT + 1 }),
      status: 400,
      code: "bad_request",
      message: `amount: Too big: expected number to be <=${MAX_AMOUNT}`,
    },
    {
      when: "the amount is not a number",
      send: () => post("/api/points/charge", { ...charge, amount: "500" }),
      status: 400,
      code: "bad_request",
      message: "amount: Invalid input: expected number, received string",
    },
    {
      when: "there is an unknown field",
      send: () => post("/api/points/charge", { ...charge, points: 5 }),
      status: 400,
      code: "bad_request",
      message: 'Unrecognized key: "points"',
    },
    {
      when: "the body is an array",
      send: () => post("/api/points/charge", [charge]),
      status: 400,
      code: "bad_request",
      message: "Invalid input: expected object, received array",
    },
    {
      when: "the user is unknown",
      send: () => post("/api/points/charge", { ...charge, userId: "nobody" }),
      status: 404,
      code: "not_found",
      message: "user nobody not found",
    },
    {
      when: "the store is unknown",
      send: () => post("/api/points/charge", { ...charge, storeId: "s9" }),
      status: 404,
      code: "not_found",
      message: "store s9 not found",
    },
    {
      when: "the terminal is another store's",
      send: () => post("/api/points/charge", { ...charge, terminalId: "t3" }),
      status: 404,
      code: "not_found",
      message: "terminal t3 not found at store s1",
    },
    {
      when: "the terminal is unknown",
      send: () => post("/api/points/charge", { ...charge, terminalId: "t9" }),
      status: 404,
      code: "not_found",
      message: "terminal t9 not found at store s1",
    },
    {
      when: "the body is empty",
      send: () =>
        request(api.url, "POST", "/api/points/charge", {
          headers: { "content-type": "application/json", ...appEnv.authorization("t1") },
        }),
      status: 400,
      code: "bad_request",
      message: /^userId: Invalid input: expected string, received undefined; amount: /,
    },
    {
      when: "the body is not valid JSON",
      send: () =>
        request(api.url, "POST", "/api/points/charge", {
          body: '{"userId": "u1",',
          headers: { "content-type": "application/json", ...appEnv.authorization("t1") },
        }),
      status: 400,
      code: "bad_request",
      message: "invalid JSON body",
    },
    {
      when: "the body is over 16 kB",
      send: () => post("/api/points/charge", { ...charge, reason: "x".repeat(20_000) }),
      status: 413,
      code: "payload_too_large",
      message: "request body larger than 16 kB",
    },
    {
      when: "the Content-Type is not JSON",
      send: () =>
        request(api.url, "POST", "/api/points/charge", {
          body: JSON.stringify(charge),
          headers: { "content-type": "text/plain", ...appEnv.authorization("t1") },
        }),
      status: 415,
      code: "unsupported_media_type",
      message: "Content-Type must be application/json",
    },
    {
      when: "there is no Content-Type",
      send: () =>
        request(api.url, "POST", "/api/points/charge", {
          body: Buffer.from(JSON.stringify(charge)),
          headers: appEnv.authorization("t1"),
        }),
      status: 415,
      code: "unsupported_media_type",
      message: "Content-Type must be application/json",
    },
    {
      when: "?wait is over 30000",
      send: () => post("/api/points/charge?wait=30001", charge),
      status: 400,
      code: "bad_request",
      message: "wait: Too big: expected number to be <=30000",
    },
    {
      when: "?wait is not a number",
      send: () => post("/api/points/charge?wait=soon", charge),
      status: 400,
      code: "bad_request",
      message: "wait: Invalid input: expected number, received NaN",
    },
    {
      when: "the Idempotency-Key is too long",
      send: () => post("/api/points/charge", charge, { "Idempotency-Key": "k".repeat(129) }),
      status: 400,
      code: "bad_request",
      message: "Idempotency-Key: Too big: expected string to have <=128 characters",
    },
  ];

  for (const { when, send, status, code, message } of badRequests) {
    it(`when ${when}, then ${status} with a clear message and nothing is produced`, async () => {
      const response = await producesNothing(send);

      assert.equal(response.status, status, JSON.stringify(response.body));
      const { error } = parseExactly(errorSchema, response.body);
      assert.equal(error.code, code);
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      if (status === 400 && error.issues)
        assert.ok(
          error.issues.every((i) => error.message.includes(i.message)),
          "issues are in the message",
        );
    });
  }

  it("when a field is invalid, then issues name the field and zod's message", async () => {
    const response = await post("/api/points/charge", { ...charge, amount: 0 });

    assert.deepEqual(response.body.error.issues, [{ path: "amount", message: "Too small: expected number to be >0" }]);
  });
});

function ledgerEntryFor(
  record: { partition: number; offset: string; value: string },
  outcome: { status: string; balanceAfter: number; reason?: string },
) {
  const command = pointsCommandSchema.parse(JSON.parse(record.value));
  return {
    commandId: command.commandId,
    userId: command.userId,
    type: command.type,
    amount: command.amount,
    storeId: command.storeId,
    terminalId: command.terminalId,
    topic: COMMANDS_TOPIC,
    partition: record.partition,
    offset: BigInt(record.offset),
    issuedAt: new Date(command.issuedAt),
    ...outcome,
  };
}
