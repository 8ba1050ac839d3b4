// A partition's replicas as they lie on disk, each in its broker's data dir
// (`<dataDir>/broker-<id>/<topic>-<partition>/`): the bytes of its segment files (`*.log`, in
// base-offset order, concatenated: replicas that agree hold the very same batches, byte for byte)
// and the records those batches hold. Files of a running broker are read as they are; a batch the
// broker is still writing at the end is left out.
//
// Ownership: none; the brokers own the files, this only reads them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeRecordBatch } from "../../broker/protocol/record-batch/decoder.ts";
import { isControlBatch } from "../../broker/protocol/record-batch/layout.ts";
import { splitBatches } from "../../broker/protocol/record-batch/splitter.ts";
import { LOG_FILE_SUFFIX, parseLogFileName } from "../../broker/storage/log-files.ts";

export interface ReplicaRecord {
  offset: bigint;
  /** The batch's partitionLeaderEpoch: the leader epoch it was written in. */
  leaderEpoch: number;
  key: string | null;
  value: string;
}

/** Where broker `brokerId` of a cluster keeps its replica of `topic`-`partition`. */
export function replicaDir(clusterDataDir: string, brokerId: number, topic: string, partition: number): string {
  return join(clusterDataDir, `broker-${brokerId}`, `${topic}-${partition}`);
}

/** The replica's segment files, oldest first; none when the broker hosts no such replica. */
export function segmentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith(LOG_FILE_SUFFIX) && parseLogFileName(name) !== null)
    .sort((a, b) => (parseLogFileName(a)! < parseLogFileName(b)! ? -1 : 1))
    .map((name) => join(dir, name));
}

/** The whole batches of the replica's segments, concatenated (a torn last batch left out). */
export function replicaLogBytes(dir: string): Buffer {
  return Buffer.concat(segmentFiles(dir).map((file) => wholeBatches(readFileSync(file))));
}

/** Every record of the replica, in log order. */
export function replicaRecords(dir: string): ReplicaRecord[] {
  const records: ReplicaRecord[] = [];
  for (const file of segmentFiles(dir)) {
    const bytes = readFileSync(file);
    for (const batch of splitBatches(bytes).batches) {
      const decoded = decodeRecordBatch(bytes, batch.position);
      if (isControlBatch(decoded.header.attributes)) continue;
      for (const record of decoded.records)
        records.push({
          offset: record.offset,
          leaderEpoch: decoded.header.partitionLeaderEpoch,
          key: record.key?.toString() ?? null,
          value: record.value?.toString() ?? "",
        });
    }
  }
  return records;
}

function wholeBatches(bytes: Buffer): Buffer {
  const { batches } = splitBatches(bytes);
  const last = batches.at(-1);
  return last ? bytes.subarray(0, last.position + last.size) : Buffer.alloc(0);
}
