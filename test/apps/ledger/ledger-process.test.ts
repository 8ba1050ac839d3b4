// The ledger as a real process on a real broker and SQLite file: a stream of commands for many
// users becomes the balances of a sequential replay and one outcome event per command. Runs with
// our client and with the real kafkajs (KAFKA_CLIENT=kafkajs in the ledger's environment).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../../helpers/wait.ts";
import { commandStream, sequentialReplay } from "./ledger-fixture.ts";
import { startLedgerRig } from "./ledger-rig.ts";

for (const client of ["ours", "kafkajs"] as const) {
  describe(`ledger process (KAFKA_CLIENT=${client})`, () => {
    it("when a backlog and then a stream of commands for many users come in, some rejected, two unreadable and one sent again later, then the tables equal a sequential replay and every command has its outcome event keyed by userId", {
      timeout: 180_000,
    }, async () => {
      const rig = await startLedgerRig({ KAFKA_CLIENT: client === "kafkajs" ? "kafkajs" : "" });
      try {
        // A backlog before the ledger starts: fetched batches of thousands of commands, whose
        // outcome events are more than one produce request may carry.
        const backlog = commandStream(`${client}-backlog`, 3, 9_000);
        const stream = commandStream(client, 24, 1_500);
        const commands = [...backlog, ...stream];
        const repeated = stream[30]!;
        for (let start = 0; start < backlog.length; start += 1_000)
          await rig.producer.send(backlog.slice(start, start + 1_000));
        await rig.producer.send(stream.slice(0, 500));
        const ledger = await rig.startLedger();
        await rig.producer.sendRaw(commands[1]!.userId, "{not json");
        for (let start = 500; start < stream.length; start += 100)
          await rig.producer.send(stream.slice(start, start + 100));
        await rig.producer.sendRaw(
          commands[2]!.userId,
          JSON.stringify({ commandId: "no-user", type: "charge", amount: 5 }),
        );

        await rig.waitForReplay(commands);
        await rig.waitForEvents(commands);
        // Sent once its first copy is stored, so it comes in a later batch: found already processed.
        await rig.producer.send([repeated]);
        await waitFor(() => (rig.events.byId().get(repeated.commandId)?.length ?? 0) === 2, {
          message: () => `the repeated command's outcome emitted again\n${rig.outputs()}`,
        });

        const { outcomes } = sequentialReplay(commands);
        const rejections = [...outcomes.values()].filter((o) => o.status === "rejected").length;
        assert.ok(rejections > 100, `the stream has rejections (${rejections})`);
        const byId = rig.events.byId();
        for (const c of commands) {
          const [first, ...again] = byId.get(c.commandId)!;
          const expected = outcomes.get(c.commandId)!;
          assert.deepEqual(
            [first!.event.status, first!.event.balanceAfter],
            [expected.status, expected.balanceAfter],
            c.commandId,
          );
          assert.equal(first!.key, c.userId);
          assert.equal(first!.event.userId, c.userId);
          assert.equal(
            first!.partition,
            first!.event.source.partition,
            "keyed by userId: the event lands on the command's partition number",
          );
          for (const copy of again)
            assert.deepEqual(copy.event, first!.event, "a re-emitted outcome is the same event");
        }
        // One user's outcomes arrive in the order of the user's commands.
        assert.equal(await rig.db.ledgerEntry.count(), commands.length, "the repeated command is not applied again");
        const firstSeen = [...new Map(rig.events.events.map((e) => [e.event.eventId, e])).values()];
        for (const userId of new Set(commands.map((c) => c.userId))) {
          const emitted = rig.events.events.filter((e) => e.event.userId === userId).map((e) => e.event.commandId);
          const inOrder = [...new Set(emitted)];
          assert.deepEqual(
            inOrder,
            commands.filter((c) => c.userId === userId).map((c) => c.commandId),
            userId,
          );
        }
        assert.equal(firstSeen.length, commands.length);

        // The account's version counts the user's applied commands.
        const applied = new Map<string, number>();
        for (const c of commands)
          if (outcomes.get(c.commandId)!.status === "applied") applied.set(c.userId, (applied.get(c.userId) ?? 0) + 1);
        const accounts = await rig.db.account.findMany();
        assert.deepEqual(new Map(accounts.map((a) => [a.userId, a.version])), applied);

        assert.equal(
          (ledger.output().match(/skipped invalid command at points\.commands\/\d+@\d+/g) ?? []).length,
          2,
          ledger.output(),
        );
        assert.equal(await ledger.stop(), 0);
        assert.match(
          ledger.output(),
          new RegExp(
            `applied ${commands.length - rejections}, rejected ${rejections}, re-emitted 1, skipped 2 invalid`,
          ),
        );
      } finally {
        await rig.cleanup();
      }
    });
  });
}
