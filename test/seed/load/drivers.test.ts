// The load drivers: over real HTTP (a small server standing in for points-api, so a test can see
// every request and answer as it likes) and straight to a real broker.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DriveError, driveDirect, driveHttp } from "../../../seed/load/drivers.ts";
import { generateWorkload } from "../../../seed/load/workload.ts";
import { CommandsTap } from "../../apps/points-api/helpers.ts";
import { type BrokerProcess, startBroker } from "../../helpers/broker-process.ts";
import { cleanupAll, waitFor } from "../../helpers/wait.ts";

interface Received {
  path: string;
  key: string;
  authorization: string | undefined;
  body: { userId: string; amount: number; storeId: string; terminalId: string };
}

/** An HTTP server that records each request and answers with `answer` (default 202). */
async function standIn(answer: (request: Received, attempt: number) => number = () => 202) {
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
      const request = {
        path: req.url!,
        key: String(req.headers["idempotency-key"]),
        authorization: req.headers.authorization,
        body: JSON.parse(text),
      };
      const attempt = (attempts.get(request.key) ?? 0) + 1;
      attempts.set(request.key, attempt);
      const status = answer(request, attempt);
      if (status === 202 || status === 200) received.push(request);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("driveHttp", () => {
  it("when a workload is driven, then each command is posted once to its endpoint under its id with its terminal's key, each user's in order", async () => {
    const server = await standIn();
    const { commands } = generateWorkload({ users: 6, commands: 60, seed: 7 });
    const terminalKeys = Object.fromEntries(commands.map((c) => [c.terminalId, `${c.terminalId}.secret`]));
    const progress: number[] = [];
    try {
      const records = await driveHttp(server.url, commands, {
        concurrency: 4,
        onProgress: (n) => progress.push(n),
        terminalKeys,
      });
      assert.equal(records.length, 60);
      assert.ok(records.every((r) => r.status === 202 && r.acceptedAt >= r.issuedAt));
      assert.deepEqual(
        progress,
        Array.from({ length: 60 }, (_, i) => i + 1),
      );
      assert.deepEqual(server.received.map((r) => r.key).sort(), commands.map((c) => c.commandId).sort());
      for (const command of commands) {
        const request = server.received.find((r) => r.key === command.commandId)!;
        assert.equal(request.path, `/api/points/${command.type}`);
        assert.equal(request.authorization, `Bearer ${command.terminalId}.secret`);
        assert.deepEqual(request.body, {
          userId: command.userId,
          amount: command.amount,
          storeId: command.storeId,
          terminalId: command.terminalId,
        });
      }
      for (const user of new Set(commands.map((c) => c.userId))) {
        const sent = server.received.filter((r) => r.body.userId === user).map((r) => r.key);
        const meant = commands.filter((c) => c.userId === user).map((c) => c.commandId);
        assert.deepEqual(sent, meant, `${user}'s commands in seq order`);
      }
    } finally {
      await server.close();
    }
  });

  it("when the API answers 5xx, then the command is sent again under the same key until it is accepted", async () => {
    const server = await standIn((_request, attempt) => (attempt < 3 ? 503 : 202));
    const { commands } = generateWorkload({ users: 1, commands: 2, seed: 1 });
    try {
      const records = await driveHttp(server.url, commands, { concurrency: 1 });
      assert.equal(records.length, 2);
      assert.deepEqual([...server.attempts.values()], [3, 3]);
    } finally {
      await server.close();
    }
  });

  it("when `until` is aborted, then no command is issued after it and the records are the commands issued, a prefix of each user's", async () => {
    const until = new AbortController();
    let answered = 0;
    const server = await standIn(() => {
      if (++answered === 10) until.abort();
      return 202;
    });
    const { commands } = generateWorkload({ users: 4, commands: 200, seed: 5 });
    try {
      const records = await driveHttp(server.url, commands, { concurrency: 2, until: until.signal });
      // The other lane may have had one request on its way when the tenth was answered.
      assert.ok(records.length >= 10 && records.length <= 11, `${records.length} issued`);
      assert.deepEqual(records.map((r) => r.commandId).sort(), server.received.map((r) => r.key).sort());
      for (const user of new Set(commands.map((c) => c.userId))) {
        const sent = server.received.filter((r) => r.body.userId === user).map((r) => r.key);
        const meant = commands.filter((c) => c.userId === user).map((c) => c.commandId);
        assert.deepEqual(sent, meant.slice(0, sent.length), `${user}'s first commands`);
      }
    } finally {
      await server.close();
    }
  });

  it("when the API refuses a command with a 4xx, then the drive fails naming the command and the answer", async () => {
    const server = await standIn(() => 400);
    const { commands } = generateWorkload({ users: 1, commands: 1, seed: 1 });
    try {
      await assert.rejects(
        driveHttp(server.url, commands, { concurrency: 1 }),
        (error) =>
          error instanceof DriveError && error.message === `${commands[0]!.commandId}: HTTP 400 {"status":400}`,
      );
    } finally {
      await server.close();
    }
  });
});

describe("driveDirect", () => {
  let broker: BrokerProcess;
  let tap: CommandsTap | undefined;
  before(async () => {
    broker = await startBroker({ config: { "num.partitions": 4 } });
    tap = await CommandsTap.start(broker.address);
  });
  after(() =>
    cleanupAll(
      () => tap?.stop(),
      () => broker?.cleanup(),
    ),
  );

  it("when keyed, then every command lands on points.commands keyed by its user, one user's on one partition in seq order", async () => {
    const { commands } = generateWorkload({ users: 5, commands: 50, seed: 3, userPrefix: "keyed-" });
    const records = await driveDirect([broker.address], commands, { concurrency: 3, keyed: true, chunk: 7 });
    assert.equal(records.length, 50);
    assert.ok(records.every((r) => r.status === 0));
    const mine = () => tap!.records.filter((r) => JSON.parse(r.value).userId.startsWith("keyed-"));
    await waitFor(() => mine().length === 50, { message: "the 50 keyed commands" });
    for (const user of new Set(commands.map((c) => c.userId))) {
      const landed = mine().filter((r) => r.key === user);
      assert.equal(new Set(landed.map((r) => r.partition)).size, 1, `${user} on one partition`);
      assert.deepEqual(
        landed.sort((a, b) => Number(a.offset) - Number(b.offset)).map((r) => JSON.parse(r.value).commandId),
        commands.filter((c) => c.userId === user).map((c) => c.commandId),
      );
    }
  });

  it("when not keyed, then the commands go without a key", async () => {
    const { commands } = generateWorkload({ users: 2, commands: 10, seed: 4, userPrefix: "unkeyed-" });
    await driveDirect([broker.address], commands, { concurrency: 2, keyed: false });
    const mine = () => tap!.records.filter((r) => JSON.parse(r.value).userId.startsWith("unkeyed-"));
    await waitFor(() => mine().length === 10, { message: "the 10 unkeyed commands" });
    assert.ok(mine().every((r) => r.key === null));
  });
});
