// `npm run migrate-topic -- --from points.commands --to points.commands.v2 --partitions 3`: moves a
// live topic to a new one with another partition count, keeping each key's order, and hands its
// consumer groups over at the cutover (migrate-topic.ts says how; `--help` lists the options).
// Exit 0 once handed over, 1 when the migration stopped (the line says why and what to do), 2 for
// bad usage.
import { createCli, environmentHelp, integerOption, usageError } from "../../apps/shared/cli.ts";
import { loadConfig } from "../../apps/shared/config.ts";
import { MigrationError, migrateTopic } from "./migrate-topic.ts";
import { reportLines } from "./report.ts";

const program = createCli(
  "migrate-topic",
  "Copies a live topic into a new one with another partition count (each key's records in order), then hands its consumer groups over at the cutover.",
);
program
  .requiredOption("--from <topic>", "the topic to move")
  .requiredOption("--to <topic>", "the new topic (created by the migration; must not exist)")
  .requiredOption("--partitions <n>", "partitions of the new topic", integerOption(program, "partitions"))
  .option("--brokers <list>", "bootstrap brokers, comma-separated (default: KAFKA_BROKERS or 127.0.0.1:BROKER_PORT)")
  .option("--group <id...>", "the consumer groups to hand over (default: every group with offsets on --from)")
  .option("--timeout <seconds>", "how long to wait for the cutover", integerOption(program, "timeout"), 600)
  .addHelpText(
    "after",
    `
The cutover: once the live copy is done it asks you to stop the producers of --from and, when each
group has consumed it to the end, the group's members; it waits until it sees that, copies the rest,
commits each group's offsets on --to and prints "handed over". Then start producers and consumers on
--to (COMMANDS_TOPIC=<topic> for points-api and the ledger).
${environmentHelp}`,
  )
  .parse();

const opts = program.opts<{
  from: string;
  to: string;
  partitions: number;
  brokers?: string;
  group?: string[];
  timeout: number;
}>();
const brokers = opts.brokers
  ? opts.brokers
      .split(",")
      .map((b) => b.trim())
      .filter((b) => b !== "")
  : loadConfig().brokers;
if (brokers.length === 0) usageError(program, "--brokers names no broker");
if (opts.from === opts.to) usageError(program, "--from and --to name the same topic");

try {
  const report = await migrateTopic({
    brokers,
    from: opts.from,
    to: opts.to,
    partitions: opts.partitions,
    ...(opts.group ? { groups: opts.group } : {}),
    cutoverTimeoutMs: opts.timeout * 1000,
    say: (line) => console.log(line),
  });
  for (const line of reportLines(report)) console.log(line);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`migrate-topic: ${error instanceof MigrationError ? message : `failed: ${message}`}`);
  process.exit(1);
}
