// Which fuzz frames would make the broker create many partitions. A mutated count of a valid
// CreateTopics or CreatePartitions (a flipped bit turns 2 into 4,098) is a valid request, and the
// broker carries it out: thousands of partition logs made synchronously, each holding files open.
// That measures admin load and the process's file limit, not how the broker takes malformed
// bytes, so the fuzzer leaves such frames out. Counts beyond what one request may add at all
// (MAX_NEW_PARTITIONS_PER_REQUEST) stay in: the broker must refuse them.

import { Apis, isSupportedVersion, requestHeaderVersion } from "../../../broker/protocol/apis.ts";
import { decodeRequestHeader } from "../../../broker/protocol/headers.ts";
import type { CreatePartitionsRequest, CreateTopicsRequest } from "../../../broker/protocol/messages/index.ts";
import { Reader } from "../../../broker/protocol/primitives.ts";
import { decode } from "../../../broker/protocol/schema.ts";
import { MAX_NEW_PARTITIONS_PER_REQUEST } from "../../../broker/server/topics.ts";

/** Partitions one fuzz frame may create; the corpus's own requests create 2 or 3. */
export const MAX_FUZZ_PARTITIONS_PER_REQUEST = 32;

/**
 * Whether the frame (body without size prefix, sent with `sizePrefix`) is a CreateTopics or
 * CreatePartitions the broker would carry out with more than MAX_FUZZ_PARTITIONS_PER_REQUEST
 * partitions (and not refuse for asking too many). A frame whose prefix promises more bytes than it has is judged too large: the
 * broker completes it with the bytes of the frames after it, which no decoding here foresees.
 */
export function createsTooManyPartitions(body: Buffer, sizePrefix: number): boolean {
  if (body.length < 4) return false;
  const apiKey = body.readInt16BE(0);
  if (apiKey !== Apis.CreateTopics.apiKey && apiKey !== Apis.CreatePartitions.apiKey) return false;
  if (sizePrefix > body.length) return true;
  const version = body.readInt16BE(2);
  if (!isSupportedVersion(apiKey, version)) return false; // refused before it is decoded
  let request: CreateTopicsRequest | CreatePartitionsRequest;
  try {
    const reader = new Reader(body.subarray(0, Math.max(0, sizePrefix)));
    decodeRequestHeader(reader, requestHeaderVersion(apiKey, version));
    request =
      apiKey === Apis.CreateTopics.apiKey
        ? decode(Apis.CreateTopics.requestSchema, version, reader)
        : decode(Apis.CreatePartitions.requestSchema, version, reader);
  } catch {
    return false; // the broker refuses it as it does any frame that does not decode
  }
  if (request.validateOnly) return false;
  const partitions = request.topics.reduce(
    (sum, topic) =>
      sum +
      ("count" in topic
        ? Math.max(0, topic.count)
        : topic.numPartitions === -1
          ? Math.max(1, topic.assignments.length)
          : Math.max(0, topic.numPartitions)),
    0,
  );
  return partitions > MAX_FUZZ_PARTITIONS_PER_REQUEST && partitions <= MAX_NEW_PARTITIONS_PER_REQUEST;
}
