// The points demo end to end, every part a real process: the broker, the ledger, notification and
// analytics services and the points-api, over real HTTP and a real SQLite file. Runs once with our
// client and once with the real kafkajs (KAFKA_CLIENT=kafkajs in every service).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../apps/shared/config.ts";
import { createDb, type Db } from "../../apps/shared/db/client.ts";
import { bearer, readTerminalKeys } from "../../apps/shared/terminal-keys.ts";
import { demoUsers } from "../../seed/demo-data.ts";
import { seedDemo } from "../../seed/seed-demo.ts";
import { type AppEnv, createAppEnv, type ServiceProcess, startService } from "../helpers/app-process.ts";
import { type BrokerProcess, startBroker } from "../helpers/broker-process.ts";
import { waitFor } from "../helpers/wait.ts";

interface Posted {
  status: number;
  body: any;
}

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Posted> {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function get(base: string, path: string): Promise<any> {
  const response = await fetch(`${base}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return response.json();
}

for (const client of ["ours", "kafkajs"] as const) {
  describe(`points demo end to end (KAFKA_CLIENT=${client})`, { timeout: 180_000 }, () => {
    let broker: BrokerProcess;
    let app: AppEnv;
    let db: Db;
    const services: ServiceProcess[] = [];
    let api = "";
    const users = demoUsers(4);
    const store = "store-2";
    const terminal = "store-2-pos-1";
    /** The key the seed gave the terminal, as the POS sends it. */
    const seededKey = () => ({ authorization: bearer(readTerminalKeys(app.dataDir)[terminal]!) });

    before(async () => {
      broker = await startBroker();
      app = createAppEnv(broker.address, { KAFKA_CLIENT: client === "kafkajs" ? "kafkajs" : "" });
      await seedDemo(loadConfig(app.env()), { users: users.length });
      for (const name of ["ledger", "notification", "analytics"]) services.push(await startService(name, app.env()));
      const points = await startService("points-api", app.env());
      services.push(points);
      api = points.url;
      db = createDb(app.databaseUrlOf("ledger"));
    });

    after(async () => {
      await db?.$disconnect();
      for (const service of services.reverse()) await service.stop();
      await broker?.cleanup();
      app?.cleanup();
    });

    it("when users charge and deduct over HTTP, then balances, rejections, notifications and analytics agree with a sequential replay", async () => {
      await waitFor(async () => (await db.ledgerEntry.count()) === users.length, {
        message: "opening balances applied",
      });
      const expected = new Map(users.map((u) => [u.id, u.openingBalance]));
      const commands: { type: "charge" | "deduct"; userId: string; amount: number }[] = [];
      for (const [i, user] of users.entries()) {
        commands.push({ type: "charge", userId: user.id, amount: 100 * (i + 1) });
        commands.push({ type: "deduct", userId: user.id, amount: 50 });
      }
      // More than the first user's balance can cover at that point: rejected.
      const overdraft = users[0]!.openingBalance + 100 + 1;
      commands.push({ type: "deduct", userId: users[0]!.id, amount: overdraft });

      let rejected = 0;
      for (const command of commands) {
        const { status, body } = await post(
          api,
          `/api/points/${command.type}?wait=10000`,
          { userId: command.userId, amount: command.amount, storeId: store, terminalId: terminal },
          seededKey(),
        );
        assert.equal(status, 200, JSON.stringify(body));
        const balance = expected.get(command.userId)!;
        const accepted = command.type === "charge" || command.amount <= balance;
        const after =
          command.type === "charge" ? balance + command.amount : accepted ? balance - command.amount : balance;
        expected.set(command.userId, after);
        assert.equal(body.status, accepted ? "applied" : "rejected");
        assert.equal(body.balanceAfter, after);
        if (!accepted) rejected++;
      }
      assert.equal(rejected, 1);

      for (const user of users) {
        assert.deepEqual(await get(api, `/api/users/${user.id}/balance`), {
          userId: user.id,
          balance: expected.get(user.id),
        });
      }
      const ledger = await get(api, `/api/users/${users[0]!.id}/ledger`);
      assert.deepEqual(
        ledger.entries.map((e: any) => [e.type, e.amount, e.status, e.balanceAfter]),
        [
          ["charge", users[0]!.openingBalance, "applied", users[0]!.openingBalance],
          ["charge", 100, "applied", users[0]!.openingBalance + 100],
          ["deduct", 50, "applied", users[0]!.openingBalance + 50],
          ["deduct", overdraft, "rejected", users[0]!.openingBalance + 50],
        ],
      );

      await waitFor(
        async () => {
          const { notifications } = await get(api, `/api/users/${users[0]!.id}/notifications`);
          return notifications.some(
            (n: any) => n.message === `deduction of ${overdraft} rejected: balance ${users[0]!.openingBalance + 50}`,
          );
        },
        { message: "the rejected user is notified" },
      );

      const applied = await db.ledgerEntry.findMany({ where: { status: "applied" } });
      const sum = (type: string) => applied.filter((e) => e.type === type).reduce((n, e) => n + e.amount, 0);
      await waitFor(
        async () => {
          const { totals } = await get(api, "/api/analytics");
          return (
            totals.chargedPoints === sum("charge") && totals.deductedPoints === sum("deduct") && totals.rejections === 1
          );
        },
        { message: "analytics totals match the ledger" },
      );
      const { stores } = await get(api, "/api/analytics");
      const store2 = stores.find((s: any) => s.storeId === store);
      assert.equal(
        store2.chargedPoints,
        applied.filter((e) => e.type === "charge" && e.storeId === store).reduce((n, e) => n + e.amount, 0),
      );
    });

    it("when a POS sends the same Idempotency-Key twice, then the command is applied once", async () => {
      const user = users[1]!;
      const before = (await get(api, `/api/users/${user.id}/balance`)).balance;
      const body = { userId: user.id, amount: 70, storeId: store, terminalId: terminal };
      const key = `retry-${client}-${Date.now()}`;
      const first = await post(api, "/api/points/charge?wait=10000", body, { "idempotency-key": key, ...seededKey() });
      const second = await post(api, "/api/points/charge?wait=10000", body, { "idempotency-key": key, ...seededKey() });
      assert.equal(first.body.commandId, key);
      assert.equal(second.body.commandId, key);
      assert.equal(first.body.balanceAfter, before + 70);
      assert.equal(second.body.balanceAfter, before + 70);
      assert.equal(await db.ledgerEntry.count({ where: { commandId: key } }), 1);
      assert.equal((await get(api, `/api/users/${user.id}/balance`)).balance, before + 70);
    });
  });
}
