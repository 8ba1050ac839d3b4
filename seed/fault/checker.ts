// The fault test's checker, in the spirit of Jepsen's queue checker but for a log: from what the
// producers were told (each acknowledged record with the partition and offset it got, and the sends
// whose outcome is unknown) and from every read of the topic (the final read through a client, the
// reads made while faults were injected, each replica's log on disk), it counts four anomalies:
// - lost: an acknowledged record the final read does not hold;
// - duplicated: a record the final read holds at more than one offset (each value is sent once, so a
//   second copy can only come from a retry the idempotent producer should have deduplicated);
// - reordered: for one key, an acknowledged record the final read holds after a record of the same
//   key that was sent after it (a key's sends are sequential: the next only once the last was acked);
// - inconsistent offsets: a partition offset that two observations (an acknowledgement, a read, a
//   replica's log) saw holding different values.
// Values no producer sent are counted too (they would be corruption). Unacknowledged sends may or
// may not appear; the report says how many did.
//
// Ownership: none; a pure function of its input.

/** A record a producer sent: value `client/key/seq` is unique across the run. */
export interface SentRecord {
  client: string;
  key: string;
  /** Position in the key's own sequence of sends. */
  seq: number;
  value: string;
}

/** A sent record the producer was told is stored (acks=all), at this partition and offset. */
export interface AckedRecord extends SentRecord {
  partition: number;
  offset: bigint;
}

/** One record as one reader saw it. */
export interface Observation {
  /** Who saw it: "final", "live", "replica-1", ... */
  source: string;
  partition: number;
  offset: bigint;
  value: string;
}

export interface CheckInput {
  acked: readonly AckedRecord[];
  /** Sends that failed or never finished: each may be in the log or not. */
  unacknowledged: readonly SentRecord[];
  /** The final read of every partition from its start to its high watermark, through a client. */
  final: readonly Observation[];
  /** Every other read: during the faults, and each replica's log. */
  others: readonly Observation[];
}

export interface CheckReport {
  acknowledged: number;
  unacknowledged: number;
  /** Unacknowledged sends that the final read holds (allowed). */
  unacknowledgedPresent: number;
  /** Records in the final read. */
  read: number;
  lost: number;
  duplicated: number;
  reordered: number;
  inconsistentOffsets: number;
  /** Values in any read that no producer sent. */
  unknownValues: number;
  /** Up to `exampleLimit` instances of each anomaly, as text, for the failure message. */
  examples: Record<"lost" | "duplicated" | "reordered" | "inconsistentOffsets" | "unknownValues", string[]>;
}

const exampleLimit = 10;

const positionKey = (partition: number, offset: bigint): string => `${partition}@${offset}`;

/** Whether every one of the four anomalies (and unknown values) is zero. */
export function isClean(report: CheckReport): boolean {
  return (
    report.lost === 0 &&
    report.duplicated === 0 &&
    report.reordered === 0 &&
    report.inconsistentOffsets === 0 &&
    report.unknownValues === 0
  );
}

export function checkHistory(input: CheckInput): CheckReport {
  const examples: CheckReport["examples"] = {
    lost: [],
    duplicated: [],
    reordered: [],
    inconsistentOffsets: [],
    unknownValues: [],
  };
  const note = (kind: keyof CheckReport["examples"], text: string) => {
    if (examples[kind].length < exampleLimit) examples[kind].push(text);
  };

  const sent = new Map<string, SentRecord>();
  for (const record of input.unacknowledged) sent.set(record.value, record);
  for (const record of input.acked) sent.set(record.value, record);

  // Where the final read holds each value (distinct positions, in read order).
  const finalPositions = new Map<string, Observation[]>();
  const seenFinal = new Set<string>();
  for (const observation of input.final) {
    const position = positionKey(observation.partition, observation.offset);
    const key = `${position}\u0000${observation.value}`;
    if (seenFinal.has(key)) continue;
    seenFinal.add(key);
    const list = finalPositions.get(observation.value) ?? [];
    list.push(observation);
    finalPositions.set(observation.value, list);
  }

  let lost = 0;
  for (const record of input.acked) {
    if (finalPositions.has(record.value)) continue;
    lost++;
    note("lost", `${record.value} acknowledged at ${positionKey(record.partition, record.offset)}`);
  }

  let duplicated = 0;
  for (const [value, positions] of finalPositions) {
    if (positions.length < 2) continue;
    duplicated += positions.length - 1;
    note("duplicated", `${value} at ${positions.map((p) => positionKey(p.partition, p.offset)).join(", ")}`);
  }

  const acked = new Set(input.acked.map((r) => r.value));
  let unacknowledgedPresent = 0;
  for (const record of input.unacknowledged) if (finalPositions.has(record.value)) unacknowledgedPresent++;

  // Per key, the acknowledged records in log order (partition, then offset) must have rising seqs.
  const byKey = new Map<string, { partition: number; offset: bigint; seq: number; value: string }[]>();
  for (const [value, positions] of finalPositions) {
    const record = sent.get(value);
    if (!record || !acked.has(value)) continue;
    const list = byKey.get(record.key) ?? [];
    for (const p of positions) list.push({ partition: p.partition, offset: p.offset, seq: record.seq, value });
    byKey.set(record.key, list);
  }
  let reordered = 0;
  for (const [key, records] of byKey) {
    records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    let highest: (typeof records)[number] | null = null;
    for (const record of records) {
      if (highest !== null && record.seq < highest.seq) {
        reordered++;
        note(
          "reordered",
          `key ${key}: ${record.value} at ${positionKey(record.partition, record.offset)} after ${highest.value} at ${positionKey(highest.partition, highest.offset)}`,
        );
      }
      if (highest === null || record.seq > highest.seq) highest = record;
    }
  }

  // Every position's values across acknowledgements, the final read and the other reads.
  const valuesAt = new Map<string, Map<string, string[]>>();
  const see = (partition: number, offset: bigint, value: string, source: string) => {
    const position = positionKey(partition, offset);
    let values = valuesAt.get(position);
    if (!values) valuesAt.set(position, (values = new Map()));
    const sources = values.get(value) ?? [];
    if (!sources.includes(source)) sources.push(source);
    values.set(value, sources);
  };
  for (const record of input.acked) see(record.partition, record.offset, record.value, "ack");
  for (const o of input.final) see(o.partition, o.offset, o.value, o.source);
  for (const o of input.others) see(o.partition, o.offset, o.value, o.source);
  let inconsistentOffsets = 0;
  for (const [position, values] of valuesAt) {
    if (values.size < 2) continue;
    inconsistentOffsets++;
    const described = [...values].map(([value, sources]) => `${value} (${sources.join(", ")})`).join(" vs ");
    note("inconsistentOffsets", `${position}: ${described}`);
  }

  const unknown = new Set<string>();
  for (const o of [...input.final, ...input.others]) {
    if (sent.has(o.value) || unknown.has(o.value)) continue;
    unknown.add(o.value);
    note("unknownValues", `${o.value} at ${positionKey(o.partition, o.offset)} (${o.source})`);
  }

  return {
    acknowledged: input.acked.length,
    unacknowledged: input.unacknowledged.length,
    unacknowledgedPresent,
    read: input.final.length,
    lost,
    duplicated,
    reordered,
    inconsistentOffsets,
    unknownValues: unknown.size,
    examples,
  };
}
