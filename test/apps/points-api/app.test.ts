// createApp on its own, with stand-ins for the broker: what happens when a dependency fails in a
// way nobody planned for, and what a request to no route gets.
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../../apps/points-api/app.ts";
import { createAppServer } from "../../../apps/points-api/http.ts";
import { createDb, type Db } from "../../../apps/shared/db/client.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { get, request, seededTerminalKeys } from "./helpers.ts";

describe("points-api app", () => {
  let dir: string;
  let db: Db;
  let server: Server;
  let url: string;
  const logged: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "points-api-app-"));
    // A database file without any tables: every query fails.
    db = createDb(`file:${path.join(dir, "unmigrated.db")}`);
    const app = createApp({
      db,
      publisher: { publish: () => Promise.reject(new Error("not used")) },
      groups: { snapshot: () => Promise.reject(new Error("unexpected: socket hang up")) },
      terminalKeys: seededTerminalKeys().repository,
      config: { maxAmount: 100 },
      log: createLog("points-api", (line) => logged.push(line)),
    });
    server = createAppServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await db?.$disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("when a dependency fails unexpectedly, then 500 in the error format, without details, and the failure is logged", async () => {
    const stores = await get(url, "/api/stores");
    const groups = await get(url, "/api/groups");

    for (const response of [stores, groups])
      assert.deepEqual(
        [response.status, response.body],
        [500, { error: { code: "internal", message: "internal error" } }],
      );
    assert.match(logged.join(""), /\[points-api\] GET \/api\/stores failed: /);
    assert.match(logged.join(""), /\[points-api\] GET \/api\/groups failed: unexpected: socket hang up/);
  });

  it("when a route does not exist, then 404 in the error format", async () => {
    const underApi = await get(url, "/api/nope?x=1");
    const elsewhere = await request(url, "DELETE", "/api/users");

    assert.deepEqual(
      [underApi.status, underApi.body],
      [404, { error: { code: "not_found", message: "no route for GET /api/nope" } }],
    );
    assert.deepEqual(
      [elsewhere.status, elsewhere.body],
      [404, { error: { code: "not_found", message: "no route for DELETE /api/users" } }],
    );
  });
});
