// The ledger as its own process: `node --import tsx apps/ledger/main.ts` (settings from the
// environment, see apps/shared/config.ts; LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is for crash tests).
import { startConsumerService } from "../shared/consumer-service.ts";
import { loadConfig } from "../shared/config.ts";
import { createLog } from "../shared/log.ts";
import { runUntilSignalled } from "../shared/process.ts";
import { createLedgerService, ledgerOptionsFrom } from "./service.ts";

const log = createLog("ledger");
await runUntilSignalled(log, () => startConsumerService(createLedgerService(ledgerOptionsFrom(process.env)), loadConfig(), log));
