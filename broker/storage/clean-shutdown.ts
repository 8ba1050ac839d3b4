// Kafka's clean shutdown marker: a file `.kafka_cleanshutdown` in the log directory, written once
// every log in it was flushed and closed (after an unclean start, only once every log in it was
// opened, and so recovered, since: cluster-member.ts), and taken away (durably) when the broker
// starts, before any log is written again. A log opened while it was there skips the recovery scan of its active
// segment (every batch's CRC read back): its indexes were flushed with it at close. Without the
// marker — a kill -9, a power loss, a log that failed to close — every log recovers as before.
//
// Ownership: none; the caller owns the directory (cluster-member.ts: the replica manager's logs).
import { join } from "node:path";
import type { FileSystem } from "./file-system.ts";

export const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";

/** After every log in `dir` closed cleanly: leaves the marker, durably. */
export function writeCleanShutdownMarker(fs: FileSystem, dir: string): void {
  const handle = fs.open(join(dir, CLEAN_SHUTDOWN_FILE), { create: true });
  try {
    handle.sync();
  } finally {
    handle.close();
  }
  fs.syncDir(dir);
}

/**
 * At start, before any log in `dir` is written: whether the last shutdown was clean. The marker is
 * removed durably, so that a crash from now on is recovered from at the next start.
 */
export function takeCleanShutdownMarker(fs: FileSystem, dir: string): boolean {
  const path = join(dir, CLEAN_SHUTDOWN_FILE);
  if (!fs.exists(path)) return false;
  fs.remove(path);
  fs.syncDir(dir);
  return true;
}
