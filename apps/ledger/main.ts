// The ledger as its own process: `node --import tsx apps/ledger/main.ts` (settings from the
// environment, see apps/shared/config.ts; LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is for crash tests,
// LEDGER_UNSAFE_WORKERS for the ordering lab's parallel-unsafe mode; COMMANDS_TOPIC, default
// points.commands, the topic it reads, as after `npm run migrate-topic`).
// How it takes part in group `ledger` (group-options.ts; the rebalance lab runs each variant):
//   LEDGER_GROUP_PROTOCOL=classic|consumer   the classic protocol (default) or KIP-848's
//   LEDGER_ASSIGNOR=roundrobin|cooperative-sticky   classic only; round-robin (eager) by default
//   LEDGER_INSTANCE_ID=<id>                  static membership (group.instance.id), one per member
//   LEDGER_SESSION_TIMEOUT_MS=<ms>           the group session timeout (default 10000)
//   LEDGER_MAX_POLL_INTERVAL_MS=<ms>         max.poll.interval.ms (default 20000, the frame's rebalance
//                                            timeout): a batch that takes longer makes it leave the group
// A setting the client cannot honour stops the start with an error. LEDGER_EVENT_LOG=<file>
// appends a JSON line per assignment change and per redelivery (event-log.ts).
// Faults on demand (stall.ts): SIGUSR1 makes the next batch wait LEDGER_STALL_MS (default: the max
// poll interval + 5 s) before it is applied, logging `stall: next batch waits N ms (SIGUSR1)`.
// Metrics: METRICS_PORT (default 0, a free port), announced as `metrics: http://127.0.0.1:PORT/metrics`.

import { loadConfig } from "../shared/config.ts";
import { startConsumerService } from "../shared/consumer-service.ts";
import { createLog } from "../shared/log.ts";
import { runUntilSignalled } from "../shared/process.ts";
import { DEFAULT_MAX_POLL_INTERVAL_MS } from "./group-options.ts";
import { createLedgerService, ledgerOptionsFrom } from "./service.ts";
import { Stall, stallMsFrom } from "./stall.ts";

const log = createLog("ledger");
await runUntilSignalled(log, async () => {
  const options = ledgerOptionsFrom(process.env);
  if (options.unsafeWorkers)
    log.info(
      `UNSAFE: each partition's batch is applied by ${options.unsafeWorkers} concurrent workers (LEDGER_UNSAFE_WORKERS); order is not kept`,
    );
  const stall = new Stall(
    stallMsFrom(process.env, options.group?.maxPollIntervalMs ?? DEFAULT_MAX_POLL_INTERVAL_MS),
    log,
  );
  stall.armOnSignal("SIGUSR1");
  const config = loadConfig();
  return startConsumerService(
    createLedgerService({ ...options, stall, commandsTopic: config.commandsTopic }),
    config,
    log,
  );
});
