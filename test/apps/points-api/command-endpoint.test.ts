// The command endpoint ahead of express: a plain command request is answered by it, exactly as
// express's route answers the same request (the route is reached by adding an empty query string),
// and every request that is not plain is left to express untouched.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { createApp } from "../../../apps/points-api/app.ts";
import { commandEndpoint } from "../../../apps/points-api/command-endpoint.ts";
import { createAppServer } from "../../../apps/points-api/http.ts";
import { apiMetrics } from "../../../apps/points-api/metrics.ts";
import { commandAcceptor } from "../../../apps/points-api/routes/points.ts";
import { createAuthenticateTerminal } from "../../../apps/points-api/use-cases/authenticate-terminal.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { createRegistry } from "../../../apps/shared/metrics.ts";
import { freshDatabaseEachTest } from "../../helpers/sqlite-file.ts";
import {
  type JsonResponse,
  recordingPublisher,
  request,
  seededTerminalKeys,
  seedReferences,
  submitCommandOn,
  withKey,
} from "./helpers.ts";

/** Answers what express would have been handed. */
const DECLINED = 599;
const MAX_AMOUNT = 1_000;

const charge = (commandId: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({ commandId, userId: "u1", amount: 100, storeId: "s1", terminalId: "t1", ...over });

describe("points-api command endpoint", () => {
  const fresh = freshDatabaseEachTest("points-api-command-endpoint");
  const servers: Server[] = [];
  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function listen(server: Server): Promise<string> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** The endpoint on its own, with real parts, in front of a stand-in for express that answers 599. */
  async function endpointAlone() {
    await seedReferences(fresh.db);
    const { keys, repository } = seededTerminalKeys();
    const publisher = recordingPublisher(2);
    const submitCommand = submitCommandOn(fresh.db, publisher);
    const registry = createRegistry("points-api");
    const endpoint = commandEndpoint({
      acceptCommand: commandAcceptor(submitCommand, MAX_AMOUNT),
      authenticate: createAuthenticateTerminal(repository),
      metrics: apiMetrics(registry),
      log: createLog("points-api", () => {}),
    });
    const url = await listen(
      createServer((req, res) => {
        if (!endpoint(req, res)) res.writeHead(DECLINED).end();
      }),
    );
    return { url, keys, publisher, registry };
  }

  /** The whole app as server.ts serves it. */
  async function wholeApp(keys: ReturnType<typeof seededTerminalKeys>) {
    const publisher = recordingPublisher(2);
    const app = createApp({
      db: fresh.db,
      publisher,
      groups: { snapshot: () => Promise.reject(new Error("not used")) },
      terminalKeys: keys.repository,
      config: { maxAmount: MAX_AMOUNT },
      log: createLog("points-api", () => {}),
    });
    return { url: await listen(createAppServer(app)), publisher };
  }

  const post = (url: string, path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    request(url, "POST", path, { body, headers: { "content-type": "application/json", ...headers } });

  const answerOf = (response: JsonResponse) => ({
    status: response.status,
    body: response.body,
    contentType: response.headers.get("content-type"),
    challenge: response.headers.get("www-authenticate"),
    replayed: response.headers.get("idempotent-replayed"),
  });

  it("when plain commands come, then the endpoint answers each itself, as express's route answers the same request", async () => {
    const alone = await endpointAlone();
    const terminals = seededTerminalKeys();
    const whole = await wholeApp(terminals);
    const cases: Array<{
      name: string;
      path: string;
      body: string;
      headers: (keys: Record<string, string>) => Record<string, string>;
    }> = [
      { name: "a charge", path: "charge", body: charge("c-1"), headers: (k) => withKey(k.t1!) },
      { name: "the same again", path: "charge", body: charge("c-1"), headers: (k) => withKey(k.t1!) },
      {
        name: "a deduct by header key",
        path: "deduct",
        body: charge("", { commandId: undefined }),
        headers: (k) => ({ ...withKey(k.t1!), "idempotency-key": "c-2" }),
      },
      { name: "no key", path: "charge", body: charge("c-3"), headers: () => ({}) },
      { name: "another terminal's key", path: "charge", body: charge("c-4"), headers: (k) => withKey(k.t2!) },
      { name: "broken JSON", path: "charge", body: '{"userId":', headers: (k) => withKey(k.t1!) },
      { name: "JSON that is no object", path: "charge", body: '  "c-5"', headers: (k) => withKey(k.t1!) },
      {
        name: "a negative amount",
        path: "charge",
        body: charge("c-6", { amount: -5 }),
        headers: (k) => withKey(k.t1!),
      },
      {
        name: "an unknown user",
        path: "deduct",
        body: charge("c-7", { userId: "nobody" }),
        headers: (k) => withKey(k.t1!),
      },
      {
        name: "two different ids",
        path: "charge",
        body: charge("c-8"),
        headers: (k) => ({ ...withKey(k.t1!), "idempotency-key": "c-9" }),
      },
    ];
    for (const c of cases) {
      // The endpoint alone was given its own keys; the whole app has the ones of `terminals`.
      const direct = await post(alone.url, `/api/points/${c.path}`, c.body, c.headers(alone.keys));
      const viaExpress = await post(whole.url, `/api/points/${c.path}?`, c.body, c.headers(terminals.keys));
      assert.notEqual(direct.status, DECLINED, c.name);
      assert.deepEqual(answerOf(direct), answerOf(viaExpress), c.name);
    }
    assert.deepEqual(
      alone.publisher.published.map((c) => c.commandId),
      ["c-1", "c-2"],
    );
    assert.deepEqual(
      whole.publisher.published.map((c) => c.commandId),
      ["c-1", "c-2"],
    );
    assert.deepEqual(answerOf(await post(alone.url, "/api/points/charge", charge("c-1"), withKey(alone.keys.t1!))), {
      status: 202,
      body: { commandId: "c-1", status: "accepted", partition: 2, offset: "0" },
      contentType: "application/json; charset=utf-8",
      challenge: null,
      replayed: "true",
    });
  });

  it("when a request is not plain, then the endpoint leaves it to express, which answers it", async () => {
    const alone = await endpointAlone();
    const terminals = seededTerminalKeys();
    const whole = await wholeApp(terminals);
    const t1 = (keys: Record<string, string>) => withKey(keys.t1!);
    const chunked = (body: string) =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(body));
          controller.close();
        },
      });
    const cases: Array<{
      name: string;
      send: (url: string, keys: Record<string, string>) => Promise<JsonResponse>;
      express: number;
    }> = [
      {
        name: "a query string",
        send: (url, k) => post(url, "/api/points/charge?wait=0", charge("n-1"), t1(k)),
        express: 202,
      },
      {
        name: "a gzipped body",
        send: (url, k) =>
          post(url, "/api/points/charge", gzipSync(charge("n-2")), { ...t1(k), "content-encoding": "gzip" }),
        express: 202,
      },
      {
        name: "another content type",
        send: (url, k) => post(url, "/api/points/charge", charge("n-3"), { ...t1(k), "content-type": "text/plain" }),
        express: 415,
      },
      {
        name: "another charset",
        send: (url, k) =>
          post(url, "/api/points/charge", charge("n-4"), {
            ...t1(k),
            "content-type": "application/json; charset=iso-8859-1",
          }),
        express: 415,
      },
      {
        name: "a body too large",
        send: (url, k) => post(url, "/api/points/charge", charge("n-5", { reason: "x".repeat(17_000) }), t1(k)),
        express: 413,
      },
      { name: "an empty body", send: (url, k) => post(url, "/api/points/charge", "", t1(k)), express: 400 },
      {
        name: "a chunked body",
        send: (url, k) =>
          fetch(new URL("/api/points/charge", url), {
            method: "POST",
            headers: { "content-type": "application/json", ...t1(k) },
            body: chunked(charge("n-6")),
            duplex: "half",
          } as RequestInit).then(async (response) => ({
            status: response.status,
            headers: response.headers,
            body: await response.text(),
          })),
        express: 202,
      },
      { name: "another route", send: (url, k) => post(url, "/api/points/refund", charge("n-7"), t1(k)), express: 404 },
      {
        name: "another method",
        send: (url, k) => request(url, "PUT", "/api/points/charge", { body: charge("n-8"), headers: t1(k) }),
        express: 404,
      },
    ];
    for (const c of cases) {
      assert.equal((await c.send(alone.url, alone.keys)).status, DECLINED, c.name);
      assert.equal((await c.send(whole.url, terminals.keys)).status, c.express, c.name);
    }
    assert.deepEqual(alone.publisher.published, []);
    assert.deepEqual(
      whole.publisher.published.map((c) => c.commandId),
      ["n-1", "n-2", "n-6"],
    );
  });

  it("when a client goes away halfway through its body, then nothing is published and the next command is accepted", async () => {
    const alone = await endpointAlone();
    const body = charge("m-gone");
    const { hostname, port } = new URL(alone.url);
    const socket = connect(Number(port), hostname);
    await once(socket, "connect");
    socket.write(
      [
        "POST /api/points/charge HTTP/1.1",
        `Host: ${hostname}`,
        "Content-Type: application/json",
        `Content-Length: ${body.length}`,
        `Authorization: ${withKey(alone.keys.t1!).authorization}`,
        "",
        body.slice(0, 10),
      ].join("\r\n"),
    );
    socket.destroy();
    await once(socket, "close");
    const next = await post(alone.url, "/api/points/charge", charge("m-next"), withKey(alone.keys.t1!));
    assert.equal(next.status, 202);
    assert.deepEqual(
      alone.publisher.published.map((command) => command.commandId),
      ["m-next"],
    );
  });

  it("when it answers, then the request is measured under the route express would name, and commands are counted by outcome", async () => {
    const alone = await endpointAlone();
    await post(alone.url, "/api/points/charge", charge("m-1"), withKey(alone.keys.t1!));
    await post(alone.url, "/api/points/charge", charge("m-2"), {});
    await post(alone.url, "/api/points/deduct", charge("m-3"), withKey(alone.keys.t1!));
    const text = await alone.registry.metrics();
    const line = (name: string, labels: string) =>
      text
        .split("\n")
        .find((l) => l.startsWith(`${name}{`) && l.includes(labels))
        ?.split(" ")[1];
    assert.equal(line("points_api_commands_total", 'route="/api/points/charge",status="202",outcome="accepted"'), "1");
    assert.equal(line("points_api_commands_total", 'route="/api/points/charge",status="401",outcome="refused"'), "1");
    assert.equal(line("points_api_commands_total", 'route="/api/points/deduct",status="202",outcome="accepted"'), "1");
    assert.equal(
      line("points_api_request_duration_seconds_count", 'method="POST",route="/api/points/charge",status="202"'),
      "1",
    );
  });
});
