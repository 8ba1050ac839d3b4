// The cost suite's request counts: read from a broker's Prometheus text over real HTTP, and turned
// into requests per command over a window.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { readRequestCounts, requestsPerCommand } from "../../bench/request-counts.ts";

describe("request counts", () => {
  let server: Server;
  let url = "";
  let body = "";
  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it("when a broker's /metrics is read, then the answered requests come back by API and nothing else does", async () => {
    body = [
      "# HELP kafka_network_requestmetrics_requests_total Requests answered (RequestsPerSec), by API",
      "# TYPE kafka_network_requestmetrics_requests_total counter",
      'kafka_network_requestmetrics_requests_total{request="Produce"} 120',
      'kafka_network_requestmetrics_requests_total{request="Fetch"} 45',
      'kafka_network_requestmetrics_totaltimems_count{request="Fetch"} 45',
      'kafka_server_brokertopicmetrics_messagesin_total{topic="t"} 999',
    ].join("\n");
    assert.deepEqual(await readRequestCounts(url), { Produce: 120, Fetch: 45 });
  });

  it("when the admin listener answers an error, then reading the counts fails naming it", async () => {
    await assert.rejects(readRequestCounts(`${url}/nowhere`), /\/nowhere\/metrics answered HTTP 404/);
  });

  it("when a window's counts are divided by its commands, then each API's share comes largest first and idle APIs are left out", () => {
    const perCommand = requestsPerCommand(
      { Produce: 100, Fetch: 40, Heartbeat: 7 },
      { Produce: 300, Fetch: 340, Heartbeat: 7, OffsetCommit: 50 },
      1000,
    );
    assert.deepEqual(Object.entries(perCommand), [
      ["Fetch", 0.3],
      ["Produce", 0.2],
      ["OffsetCommit", 0.05],
    ]);
  });
});
