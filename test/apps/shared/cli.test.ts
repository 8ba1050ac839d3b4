// Every command-line tool, spawned as `npm run` does (node with tsx's loader): `--help` exits 0 and
// describes each option; bad usage is one line `<cli>: <what is wrong>` on stderr and exit code 2.
// (The broker's own are in test/broker/server/main.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runScript } from "../../helpers/command.ts";

interface Cli {
  name: string;
  script: string;
  options: string[];
  badUsage: { args: string[]; says: RegExp };
}

const clis: Cli[] = [
  {
    name: "start",
    script: "apps/start.ts",
    options: ["--help", "DATA_DIR"],
    badUsage: { args: ["--bogus"], says: /unknown option '--bogus'/ },
  },
  {
    name: "svc",
    script: "apps/svc.ts",
    options: ["-n, --instances <n>", "ledger"],
    badUsage: { args: ["ledger", "--instances", "0"], says: /--instances must be an integer >= 1 \(got "0"\)/ },
  },
  {
    name: "seed",
    script: "seed/seed.ts",
    options: ["--users <n>", "--stores <n>"],
    badUsage: { args: ["--users", "many"], says: /--users must be an integer >= 1 \(got "many"\)/ },
  },
  {
    name: "load",
    script: "seed/load/main.ts",
    options: ["--users", "--commands", "--rate", "--concurrency", "--mode", "--seed", "--out", "--direct", "--url"],
    badUsage: { args: ["--mode", "sideways"], says: /--mode must be keyed or unkeyed \(got "sideways"\)/ },
  },
  {
    name: "lab",
    script: "seed/lab/main.ts",
    options: [
      "--quick",
      "--out",
      "--users",
      "--commands",
      "--seed",
      "--direct",
      "--rate",
      "--concurrency",
      "--modes",
      "--scaling",
      "--io-ms",
    ],
    badUsage: { args: ["--modes", "keyed,sideways"], says: /unknown mode "sideways"/ },
  },
  {
    name: "verify",
    script: "seed/lab/verify-main.ts",
    options: ["[file]", "--json"],
    badUsage: { args: [], says: /which run\?/ },
  },
  {
    name: "migrate-topic",
    script: "seed/migrate/main.ts",
    options: ["--from <topic>", "--to <topic>", "--partitions <n>", "--brokers", "--group", "--timeout"],
    badUsage: {
      args: ["--from", "a", "--to", "b", "--partitions", "0"],
      says: /--partitions must be an integer >= 1 \(got "0"\)/,
    },
  },
  {
    name: "new:service",
    script: "apps/new-service.ts",
    options: ["[name]", "--root <dir>"],
    badUsage: { args: ["mailer", "--frobnicate"], says: /unknown option '--frobnicate'/ },
  },
  {
    name: "bench",
    script: "bench/run.ts",
    options: [
      "--only",
      "--quick",
      "--records",
      "--partitions",
      "--record-bytes",
      "--send-size",
      "--in-flight",
      "--kills",
      "--minutes",
      "--rate",
    ],
    badUsage: {
      args: ["--only", "everything"],
      says: /--only takes broker\|clients\|latency\|ledger\|transactions\|points\|cost\|cluster\|crashloop\|memory\|soak\|fuzz, not everything/,
    },
  },
];

for (const cli of clis) {
  describe(`${cli.name} (${cli.script})`, () => {
    it("when run with --help, then it describes its options on stdout and exits 0", async () => {
      const result = await runScript(cli.script, ["--help"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^Usage: ${cli.name} `));
      for (const option of cli.options) assert.ok(result.stdout.includes(option), `${option} in:\n${result.stdout}`);
      assert.equal(result.stderr, "");
    });

    it(`when run with ${JSON.stringify(cli.badUsage.args)}, then one line on stderr says what is wrong and it exits 2`, async () => {
      const result = await runScript(cli.script, cli.badUsage.args);
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stderr.split("\n").length, 2, result.stderr);
      assert.ok(result.stderr.startsWith(`${cli.name}: `), result.stderr);
      assert.match(result.stderr, cli.badUsage.says);
      assert.equal(result.stdout, "");
    });
  });
}
