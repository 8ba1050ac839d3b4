// The ledger as its own process: `node --import tsx apps/ledger/main.ts` (settings from the
// environment, see apps/shared/config.ts; LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is for crash tests,
// LEDGER_UNSAFE_WORKERS for the ordering lab's parallel-unsafe mode).

import { loadConfig } from "../shared/config.ts";
import { startConsumerService } from "../shared/consumer-service.ts";
import { createLog } from "../shared/log.ts";
import { runUntilSignalled } from "../shared/process.ts";
import { createLedgerService, ledgerOptionsFrom } from "./service.ts";

const log = createLog("ledger");
await runUntilSignalled(log, async () => {
  const options = ledgerOptionsFrom(process.env);
  if (options.unsafeWorkers)
    log.info(
      `UNSAFE: each partition's batch is applied by ${options.unsafeWorkers} concurrent workers (LEDGER_UNSAFE_WORKERS); order is not kept`,
    );
  return startConsumerService(createLedgerService(options), loadConfig(), log);
});
