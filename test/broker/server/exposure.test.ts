// Where the broker listens unless told: loopback, its Kafka listener and its admin listener both;
// told to listen on every address (0.0.0.0), it says so in a warning per listener.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Broker } from "../../../broker/server/broker.ts";
import { parseArgs } from "../../../broker/server/config.ts";
import { beyondLoopbackWarning, isLoopbackHost } from "../../../broker/server/exposure.ts";
import { createLogger } from "../../../broker/server/logger.ts";

describe("beyondLoopbackWarning", () => {
  it("when a host is a loopback address or localhost, then no warning; any other address is beyond loopback", () => {
    for (const host of ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1", "localhost"]) {
      assert.equal(isLoopbackHost(host), true, host);
      assert.equal(beyondLoopbackWarning("it", host, 1), null, host);
    }
    assert.equal(
      beyondLoopbackWarning("the admin listener", "0.0.0.0", 9644),
      "the admin listener listens on 0.0.0.0:9644, beyond loopback: other machines can reach it",
    );
    assert.match(beyondLoopbackWarning("it", "::", 9092) ?? "", /^it listens on \[::\]:9092, beyond loopback/);
    assert.match(beyondLoopbackWarning("it", "192.168.1.20", 9092) ?? "", /beyond loopback/);
  });
});

describe("the broker's listeners", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "broker-exposure-"));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** Starts a broker with `args` (and a free port, an admin listener on a free port); returns its warnings. */
  async function warningsOf(args: string[]): Promise<{ host: string; admin: string; warnings: string[] }> {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    });
    const config = parseArgs(["--port", "0", "--data-dir", dataDir, "--admin-port", "0", ...args]);
    const broker = new Broker(config, createLogger("info", destination));
    let admin = "";
    try {
      const { host } = await broker.start({ adminListening: (address) => (admin = address.host) });
      const warnings = lines
        .map((line) => JSON.parse(line) as { level: string; message: string })
        .filter((entry) => entry.level === "warn")
        .map((entry) => entry.message);
      return { host, admin, warnings };
    } finally {
      await broker.stop();
    }
  }

  it("when no host is given, then the Kafka and admin listeners are on 127.0.0.1 and nothing is said about it", async () => {
    const { host, admin, warnings } = await warningsOf([]);
    assert.deepEqual([host, admin], ["127.0.0.1", "127.0.0.1"]);
    assert.deepEqual(
      warnings.filter((w) => /beyond loopback/.test(w)),
      [],
    );
  });

  it("when --host and --admin-host are 0.0.0.0, then each listener logs a warning that it listens beyond loopback", async () => {
    const { host, admin, warnings } = await warningsOf(["--host", "0.0.0.0", "--admin-host", "0.0.0.0"]);
    assert.deepEqual([host, admin], ["0.0.0.0", "0.0.0.0"]);
    const exposed = warnings.filter((w) => /beyond loopback/.test(w));
    assert.equal(exposed.length, 2, warnings.join("\n"));
    assert.match(
      exposed[0]!,
      /^the Kafka listener \S* ?listens on 0\.0\.0\.0:\d+, beyond loopback: other machines can reach it$/,
    );
    assert.match(
      exposed[1]!,
      /^the admin listener listens on 0\.0\.0\.0:\d+, beyond loopback: other machines can reach it$/,
    );
  });
});
