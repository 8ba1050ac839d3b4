// The broker's own share of a message's latency: Produce requests written on a bare socket (the
// protocol's encoders, no client library: no batching, partitioner, retries or promises of a
// client), one per tick as the latency suite's producer sends, each timed from its write to its
// response, with the broker's CPU per request over the run. Set beside the paced echo
// (round-trip-floor.ts), it says how much of the latency the broker adds to the round trip itself.
import { Apis } from "../broker/protocol/apis.ts";
import { encodeRecordBatch } from "../broker/protocol/record-batch/encoder.ts";
import { produceRequest } from "../test/helpers/requests.ts";
import { WireClient } from "../test/helpers/wire-client.ts";
import { forEachTick, processCpuMicros, recordValue } from "./lib.ts";

export interface RawProduceOptions {
  address: string;
  /** The broker's process, for its CPU; absent, no CPU figure. */
  brokerPid: number | undefined;
  /** An existing topic with partitions 0 … partitions − 1. */
  topic: string;
  partitions: number;
  /** Records per request, spread evenly over the partitions (one batch each). */
  recordsPerRequest: number;
  recordBytes: number;
  tickMs: number;
  seconds: number;
}

export interface RawProduceResult {
  /** Each request's write → response, ms. */
  times: number[];
  /** The broker's utime + stime over the run ÷ the requests (10 ms clock ticks: read over seconds, not one request). */
  brokerCpuUsPerRequest: number | null;
}

export async function pacedRawProduce(options: RawProduceOptions): Promise<RawProduceResult> {
  const { partitions, recordsPerRequest, tickMs, seconds } = options;
  const value = recordValue(options.recordBytes);
  const client = await WireClient.connect(options.address);
  try {
    const times: number[] = [];
    const cpuBefore = options.brokerPid === undefined ? undefined : processCpuMicros(options.brokerPid);
    await forEachTick(tickMs, seconds, async () => {
      const timestamp = BigInt(Date.now());
      const batches = [];
      for (let index = 0; index < partitions; index++) {
        const count = Math.floor(recordsPerRequest / partitions) + (index < recordsPerRequest % partitions ? 1 : 0);
        if (count === 0) continue;
        const records = Array.from({ length: count }, () => ({ key: null, value, timestamp }));
        batches.push({ index, records: encodeRecordBatch({ records }) });
      }
      const sentAt = performance.now();
      const response = await client.request(Apis.Produce, 7, produceRequest(options.topic, batches));
      times.push(performance.now() - sentAt);
      for (const partition of response.responses[0]?.partitionResponses ?? [])
        if (partition.errorCode !== 0)
          throw new Error(`produce to ${options.topic}/${partition.index} failed: error ${partition.errorCode}`);
    });
    const cpuAfter = options.brokerPid === undefined ? undefined : processCpuMicros(options.brokerPid);
    return {
      times,
      brokerCpuUsPerRequest:
        cpuBefore === undefined || cpuAfter === undefined ? null : (cpuAfter - cpuBefore) / times.length,
    };
  } finally {
    client.close();
  }
}
