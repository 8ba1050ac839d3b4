// points-api's GET /metrics: commands accepted and refused by route and status, and every API
// request's duration by route pattern, scraped over real HTTP from the app on a real SQLite file.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../../apps/points-api/app.ts";
import { createAppServer } from "../../../apps/points-api/http.ts";
import { createLog } from "../../../apps/shared/log.ts";
import { sampleSum, scrape } from "../../helpers/prometheus.ts";
import { databaseForSuite } from "../../helpers/sqlite-file.ts";
import { get, postJson, seededTerminalKeys, seedReferences, withKey } from "./helpers.ts";

describe("points-api metrics", () => {
  const database = databaseForSuite("points-api-metrics");
  let server: Server;
  let url: string;
  const terminals = seededTerminalKeys();

  before(async () => {
    await seedReferences(database.db);
    let offset = 0;
    const app = createApp({
      db: database.db,
      publisher: { publish: async () => ({ partition: 0, offset: String(offset++) }) },
      groups: { snapshot: () => Promise.reject(new Error("not used")) },
      terminalKeys: terminals.repository,
      config: { maxAmount: 1000 },
      log: createLog("points-api", () => undefined),
    });
    server = createAppServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it("when commands are accepted and refused and other routes asked, then /metrics counts them by route, status and outcome, and times each request by its route pattern", async () => {
    const charge = { userId: "u1", amount: 500, storeId: "s1", terminalId: "t1" };
    const before = await scrape(`${url}/metrics`);
    assert.equal(sampleSum(before, "points_api_commands_total"), 0);

    const key = withKey(terminals.keys.t1!);
    assert.equal((await postJson(url, "/api/points/charge", charge, key)).status, 202);
    assert.equal((await postJson(url, "/api/points/charge", { ...charge, userId: "u2" }, key)).status, 202);
    assert.equal((await postJson(url, "/api/points/deduct", { ...charge, amount: 5000 }, key)).status, 400);
    assert.equal((await postJson(url, "/api/points/charge", { ...charge, userId: "nobody" }, key)).status, 404);
    assert.equal((await postJson(url, "/api/points/charge", charge)).status, 401);
    assert.equal((await get(url, "/api/users/u1/balance")).status, 200);
    assert.equal((await get(url, "/api/nope")).status, 404);

    const samples = await scrape(`${url}/metrics`);
    const commands = (labels: Record<string, string>) =>
      sampleSum(samples, "points_api_commands_total", { service: "points-api", ...labels });
    assert.equal(commands({ route: "/api/points/charge", status: "202", outcome: "accepted" }), 2);
    assert.equal(commands({ route: "/api/points/deduct", status: "400", outcome: "refused" }), 1);
    assert.equal(commands({ route: "/api/points/charge", status: "404", outcome: "refused" }), 1);
    assert.equal(commands({ route: "/api/points/charge", status: "401", outcome: "refused" }), 1);
    assert.equal(commands({}), 5, "only the commands are counted as commands");

    const requests = (labels: Record<string, string>) =>
      sampleSum(samples, "points_api_request_duration_seconds_count", labels);
    assert.equal(requests({ method: "GET", route: "/api/users/:id/balance", status: "200" }), 1);
    assert.equal(requests({ method: "POST", route: "/api/points/charge" }), 4);
    assert.equal(requests({ route: "unmatched", status: "404" }), 1);
    assert.ok(
      sampleSum(samples, "points_api_request_duration_seconds_sum", { route: "/api/points/charge" }) > 0,
      "durations are recorded",
    );
  });
});
