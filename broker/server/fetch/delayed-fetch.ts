// Fetch's long poll (Kafka's DelayedFetch, parked in its fetch purgatory): a fetch that finds
// less than min_bytes waits until appends to its partitions bring enough, a partition answers an
// error, or max_wait passes — then it answers with what the logs hold at that moment. This is
// what lets consumers wait cheaply instead of polling. A fetch whose client has gone (its
// connection closed) stops waiting at once: unlike Kafka's, which waits out max_wait in its
// purgatory, a waiting fetch here holds its connection and its request's bytes in
// queued.max.request.bytes, and max_wait is the client's to choose (up to 24 days), so fetches
// left behind by clients that went would pile up until no request on any connection was read.
//
// Ownership: a waiting fetch owns only its timer, its append subscriptions and its close
// subscription, and gives them up when it answers. Appends come in bursts; the fetch re-reads at
// most once per burst, after the producers' responses are on their way (setImmediate), rather
// than once per append.

import type { FetchRequest, FetchResponse } from "../../protocol/messages/index.ts";
import { type FetchParams, type FetchRead, type PartitionLookup, partitionsOf, readFromLog } from "./read-from-log.ts";

/** How a waiting fetch learns that max_wait has passed; tests expire fetches by hand through it. */
export interface FetchExpiry {
  /** Calls `onExpire` after `delayMs`, unless the returned cancel function is called first. */
  start(delayMs: number, onExpire: () => void): () => void;
}

export const systemFetchExpiry: FetchExpiry = {
  start(delayMs, onExpire) {
    const timer = setTimeout(onExpire, delayMs);
    return () => clearTimeout(timer);
  },
};

function isSatisfied(request: FetchRequest, read: FetchRead): boolean {
  return read.bytes >= request.minBytes || read.hasError;
}

/**
 * Answers the fetch at once when the logs already hold min_bytes, a partition answers an error, or
 * the request will not wait; otherwise answers later, as described above. `whenClosed` (the
 * request context's) tells a waiting fetch that its connection closed: it then answers what it
 * first read, which goes nowhere.
 */
export function fetchMessages(
  request: FetchRequest,
  partitions: PartitionLookup,
  expiry: FetchExpiry = systemFetchExpiry,
  clientMetadata = false,
  whenClosed?: (listener: () => void) => () => void,
): FetchResponse | Promise<FetchResponse> {
  const first = readFromLog(request, partitions, { clientMetadata, updateFetchState: true });
  const again: FetchParams = { clientMetadata, updateFetchState: false };
  if (isSatisfied(request, first) || request.maxWaitMs <= 0) return first.response;

  return new Promise<FetchResponse>((resolve) => {
    const subscriptions: (() => void)[] = [];
    let cancelExpiry = (): void => {};
    let answered = false;
    let checkScheduled = false;
    const finish = (read: FetchRead): void => {
      if (answered) return;
      answered = true;
      cancelExpiry();
      for (const unsubscribe of subscriptions) unsubscribe();
      resolve(read.response);
    };
    const onAppend = (): void => {
      if (checkScheduled) return;
      checkScheduled = true;
      setImmediate(() => {
        checkScheduled = false;
        if (answered) return;
        const read = readFromLog(request, partitions, again);
        if (isSatisfied(request, read)) finish(read);
      });
    };
    for (const partition of partitionsOf(request, partitions)) subscriptions.push(partition.onAppend(onAppend));
    cancelExpiry = expiry.start(request.maxWaitMs, () => finish(readFromLog(request, partitions, again)));
    if (whenClosed) subscriptions.push(whenClosed(() => finish(first)));
  });
}
