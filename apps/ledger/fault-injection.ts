// Fault injection for tests of crash recovery (LEDGER_FAULT_EXIT_AFTER_DB_COMMIT=n): the ledger
// SIGKILLs itself right after its n-th database commit, before that batch's events are produced and
// its offsets committed. Unset in normal runs.
// Owner of mutable state: the hook returned by crashAfterCommit (its count of commits).
import { optionalIntFrom } from "../shared/config.ts";
import { type AppLog, flushLogs } from "../shared/log.ts";

/** The commit to die after, from LEDGER_FAULT_EXIT_AFTER_DB_COMMIT; undefined when unset. */
export function exitAfterDbCommitFrom(env: NodeJS.ProcessEnv): number | undefined {
  return optionalIntFrom(env, "LEDGER_FAULT_EXIT_AFTER_DB_COMMIT", 1);
}

/**
 * A hook to call after every database commit: the `commit`-th call kills the process and never
 * settles (the signal may land a moment later, and nothing may be produced meanwhile).
 */
export function crashAfterCommit(commit: number, log: AppLog): () => Promise<void> {
  let commits = 0;
  return async () => {
    if (++commits !== commit) return;
    log.info(`fault injection: SIGKILL after database commit ${commits}`);
    flushLogs();
    process.kill(process.pid, "SIGKILL");
    await new Promise(() => {});
  };
}
