// Fetch serves whole batches straight from the log files, up to the high watermark. When less
// than min_bytes is available it parks until an append to one of the partitions brings enough,
// or max_wait passes: that long poll is what lets consumers wait cheaply.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from "../../protocol/messages/index.ts";
import type { BrokerState } from "../broker-state.ts";
import type { Partition } from "../partition.ts";
import { defineHandler } from "./handler.ts";

interface FetchRead {
  response: FetchResponse;
  bytes: number;
  hasError: boolean;
}

function readFetch(request: FetchRequest, broker: BrokerState): FetchRead {
  let bytes = 0;
  let hasError = false;
  const responses = request.topics.map((topic) => ({
    topic: topic.topic,
    partitions: topic.partitions.map((wanted): FetchResponsePartitionData => {
      const partition = broker.topics.partition(topic.topic, wanted.partition);
      const answer = (errorCode: number, records: Buffer[] | null = null): FetchResponsePartitionData => ({
        partitionIndex: wanted.partition,
        errorCode,
        highWatermark: partition?.highWatermark ?? -1n,
        // No transactions: the last stable offset is the high watermark.
        lastStableOffset: partition?.highWatermark ?? -1n,
        logStartOffset: partition?.logStartOffset ?? -1n,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records,
      });
      if (!partition) {
        hasError = true;
        return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      const limit = Math.min(wanted.partitionMaxBytes, request.maxBytes - bytes);
      if (limit <= 0 && bytes > 0) return answer(ErrorCode.NONE, []);
      // Only the first partition with data may exceed the limits by one batch, so progress is always possible.
      const read = partition.log.read(wanted.fetchOffset, Math.max(limit, 0), bytes === 0, partition.highWatermark);
      if (read.kind === "offset-out-of-range") {
        hasError = true;
        return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
      }
      bytes += read.size;
      return answer(ErrorCode.NONE, read.chunks);
    }),
  }));
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes, hasError };
}

function partitionsOf(request: FetchRequest, broker: BrokerState): Partition[] {
  return request.topics.flatMap((t) =>
    t.partitions.map((p) => broker.topics.partition(t.topic, p.partition)).filter((p) => p !== undefined),
  );
}

export const fetchHandler = defineHandler(Apis.Fetch, (request, { broker }) => {
  const first = readFetch(request, broker);
  if (first.bytes >= request.minBytes || first.hasError || request.maxWaitMs <= 0) return first.response;

  return new Promise<FetchResponse>((resolve) => {
    let checkScheduled = false;
    const finish = (result: FetchRead): void => {
      clearTimeout(timer);
      for (const unsubscribe of subscriptions) unsubscribe();
      resolve(result.response);
    };
    const timer = setTimeout(() => finish(readFetch(request, broker)), request.maxWaitMs);
    // Appends come in bursts; check once per burst, after the producer's response is on its way.
    const onAppend = (): void => {
      if (checkScheduled) return;
      checkScheduled = true;
      setImmediate(() => {
        checkScheduled = false;
        const result = readFetch(request, broker);
        if (result.bytes >= request.minBytes || result.hasError) finish(result);
      });
    };
    const subscriptions = partitionsOf(request, broker).map((p) => p.onAppend(onAppend));
  });
});
