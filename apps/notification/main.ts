// `npm run svc -- notification`: the notification service as its own process.

import { loadConfig } from "../shared/config.ts";
import { startConsumerService } from "../shared/consumer-service.ts";
import { createLog } from "../shared/log.ts";
import { runUntilSignalled } from "../shared/process.ts";
import { definition } from "./service.ts";

const log = createLog(definition.name);
await runUntilSignalled(log, () => startConsumerService(definition, loadConfig(), log));
