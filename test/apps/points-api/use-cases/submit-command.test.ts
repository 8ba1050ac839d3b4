// Accepting commands on points-api's repositories (a real SQLite file) with a publisher that keeps
// what it was given: only the terminal its key proved, references checked, one publish per commandId,
// the ledger's outcome awaited.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommandBody } from "../../../../apps/points-api/schemas.ts";
import type { SubmitCommandInput } from "../../../../apps/points-api/use-cases/submit-command.ts";
import { AppError } from "../../../../apps/shared/errors.ts";
import type { PointsCommand } from "../../../../apps/shared/topics.ts";
import { freshDatabaseEachTest } from "../../../helpers/sqlite-file.ts";
import { recordingPublisher, seedReferences, submitCommandOn } from "../helpers.ts";

const now = new Date("2026-01-01T10:00:00.000Z");
const body = (over: Partial<CommandBody> = {}): CommandBody => ({
  userId: "u1",
  amount: 50,
  storeId: "s1",
  terminalId: "t1",
  ...over,
});

describe("points-api submit-command (SQLite)", () => {
  const fresh = freshDatabaseEachTest("points-api-submit");

  /** The use case with a publisher that records commands at partition 3, offsets 0, 1, ... */
  async function setup(onPublish?: (command: PointsCommand) => Promise<void>) {
    await seedReferences(fresh.db);
    const publisher = recordingPublisher(3, onPublish);
    const published = publisher.published;
    const submitCommand = submitCommandOn(fresh.db, publisher, () => now);
    /** From the terminal the body names, unless the test says which terminal's key it carried. */
    const submit = (input: Omit<SubmitCommandInput, "terminalId"> & { terminalId?: string }) =>
      submitCommand({ terminalId: input.body.terminalId, ...input });
    return { submit, published };
  }

  it("when the command names another terminal than the one its key proved, then 401 and nothing is published, not even a replay", async () => {
    const { submit, published } = await setup();
    await submit({ type: "charge", body: body(), idempotencyKey: "k1" });
    for (const idempotencyKey of ["k1", "k2"])
      await assert.rejects(submit({ type: "charge", body: body(), idempotencyKey, terminalId: "t2" }), {
        status: 401,
        message: "the key is terminal t2's, the command says it comes from terminal t1",
      });
    assert.equal(published.length, 1);
  });

  it("when a command is accepted, then it is published once as a points command and answered with where it went", async () => {
    const { submit, published } = await setup();
    const { result, replayed } = await submit({
      type: "charge",
      body: body({ orderId: "o-1" }),
      idempotencyKey: "k1",
    });
    assert.deepEqual(result, { commandId: "k1", status: "accepted", partition: 3, offset: "0" });
    assert.equal(replayed, false);
    assert.deepEqual(published, [
      {
        commandId: "k1",
        type: "charge",
        userId: "u1",
        amount: 50,
        storeId: "s1",
        terminalId: "t1",
        orderId: "o-1",
        issuedAt: now.toISOString(),
      },
    ]);
  });

  it("when the same key comes again with the same payload, then nothing more is published and the first answer comes back, replayed", async () => {
    const { submit, published } = await setup();
    const first = await submit({ type: "deduct", body: body({ commandId: "c1" }) });
    const again = await submit({ type: "deduct", body: body(), idempotencyKey: "c1" });
    assert.equal(published.length, 1);
    assert.deepEqual(again, { result: first.result, replayed: true });
  });

  it("when no key is given, then each command gets a generated commandId, a UUIDv7 that sorts after the ones made before it", async () => {
    const { submit, published } = await setup();
    for (let i = 0; i < 50; i++) await submit({ type: "charge", body: body() });
    const ids = published.map((command) => command.commandId);
    assert.equal(new Set(ids).size, 50);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual([...ids].sort(), ids);
  });

  it("when the user, store or terminal is unknown, or the terminal belongs to another store, then 404 naming it and nothing is published", async () => {
    const { submit, published } = await setup();
    const refused = async (over: Partial<CommandBody>) => {
      const error = await submit({ type: "charge", body: body(over) }).then(
        () => assert.fail("accepted"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof AppError && error.status === 404, String(error));
      return error.message;
    };
    assert.equal(await refused({ userId: "ghost" }), "user ghost not found");
    assert.equal(await refused({ storeId: "s9" }), "store s9 not found");
    assert.equal(await refused({ terminalId: "t3" }), "terminal t3 not found at store s1");
    assert.deepEqual(published, []);
  });

  it("when the Idempotency-Key and the body's commandId differ, then 400 and nothing is published", async () => {
    const { submit, published } = await setup();
    await assert.rejects(submit({ type: "charge", body: body({ commandId: "a" }), idempotencyKey: "b" }), {
      status: 400,
      message: "Idempotency-Key header (b) and commandId (a) differ; give one, or the same in both",
    });
    assert.deepEqual(published, []);
  });

  it("when the request waits and the ledger has the entry, then the outcome comes back instead of accepted", async () => {
    // A ledger that rejects the command as soon as it is published.
    const { submit } = await setup(async (command) => {
      await fresh.db.ledgerEntry.create({
        data: {
          commandId: command.commandId,
          userId: command.userId,
          type: command.type,
          amount: command.amount,
          status: "rejected",
          balanceAfter: 0,
          reason: "insufficient balance",
          storeId: command.storeId,
          terminalId: command.terminalId,
          topic: "points.commands",
          partition: 3,
          offset: 0n,
          issuedAt: new Date(command.issuedAt),
        },
      });
    });
    const { result } = await submit({ type: "deduct", body: body(), idempotencyKey: "k1", waitMs: 30_000 });
    assert.deepEqual(result, {
      commandId: "k1",
      status: "rejected",
      balanceAfter: 0,
      reason: "insufficient balance",
      partition: 3,
      offset: "0",
    });
  });

  it("when the request waits but its client went away, then it answers accepted without waiting for the ledger", async () => {
    const { submit } = await setup();
    const gone = new AbortController();
    gone.abort();
    const { result } = await submit({
      type: "charge",
      body: body(),
      idempotencyKey: "k1",
      waitMs: 30_000,
      signal: gone.signal,
    });
    assert.equal(result.status, "accepted");
  });
});
