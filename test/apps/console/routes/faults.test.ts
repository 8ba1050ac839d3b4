// The fault routes behind their guard, over real HTTP: the token is needed, a request from another
// machine is refused even with it, and a console whose faults are off refuses everything. What the
// guard lets through reaches the route (here: a console that supervises nothing, so a 409).
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { after, describe, it } from "node:test";
import express from "express";
import { createPartitionGrowth } from "../../../../apps/console/partition-growth.ts";
import { faultRoutes } from "../../../../apps/console/routes/faults.ts";
import { errorHandler } from "../../../../apps/points-api/http.ts";
import { createLog } from "../../../../apps/shared/log.ts";

const TOKEN = "fault-token";

/** This machine's first address that is not loopback (the test cannot reach the console from elsewhere). */
const otherAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;

async function consoleFaults(host: string, enabled: boolean): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(
    "/api/faults",
    faultRoutes({
      guard: { token: TOKEN, enabled },
      faults: null,
      growth: createPartitionGrowth({
        userIds: async () => [],
        partitionCount: async () => 1,
        admin: { createPartitions: async () => true },
        commandKey: "userId",
      }),
      recordFault: () => {},
    }),
  );
  app.use(errorHandler(createLog("console", () => {})));
  const server = app.listen(0, host);
  await new Promise<void>((resolve) => server.once("listening", resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, server };
}

async function kill(url: string, headers: Record<string, string>): Promise<{ status: number; message: string }> {
  const response = await fetch(`${url}/api/faults/brokers/0/kill`, { method: "POST", headers });
  return {
    status: response.status,
    message: ((await response.json()) as { error: { message: string } }).error.message,
  };
}

describe("the console's fault routes", () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it("when a request from this machine carries no token or a wrong one, then 403; with the token it reaches the route", async () => {
    const { url, server } = await consoleFaults("127.0.0.1", true);
    servers.push(server);
    assert.deepEqual(await kill(url, {}), {
      status: 403,
      message: "fault controls need the token in the x-console-token header",
    });
    assert.deepEqual(await kill(url, { "x-console-token": "guess" }), {
      status: 403,
      message: "wrong x-console-token",
    });
    assert.deepEqual(await kill(url, { "x-console-token": TOKEN }), {
      status: 409,
      message: "this console supervises no processes",
    });
  });

  it("when a request comes from another address than loopback, then 403 even with the token", async (t) => {
    if (otherAddress === undefined) return t.skip("this machine has no address but loopback");
    const { url, server } = await consoleFaults(otherAddress, true);
    servers.push(server);
    const refused = await kill(url, { "x-console-token": TOKEN });
    assert.equal(refused.status, 403);
    assert.equal(refused.message, `fault controls answer only requests from this machine (not ${otherAddress})`);
  });

  it("when the console's faults are off (it listens beyond loopback), then 403 even from this machine with the token", async () => {
    const { url, server } = await consoleFaults("127.0.0.1", false);
    servers.push(server);
    assert.deepEqual(await kill(url, { "x-console-token": TOKEN }), {
      status: 403,
      message: "fault controls are disabled: the console does not listen on a loopback address",
    });
  });
});
