// The answers classic group requests get when they fail, or when they are given at once rather
// than parked (membership.ts parks JoinGroup and SyncGroup until their phase of the rebalance ends).
//
// Ownership: none; plain values.

import { EMPTY_BYTES } from "./group.ts";
import type { JoinGroupResult, KafkaErrorCode, SyncGroupResult } from "./types.ts";

/** A queued task's answer that may still be waiting; wrapped so the queue does not wait for it. */
export interface Eventually<Result> {
  response: Promise<Result>;
}

export function answered<Result>(result: Result): Eventually<Result> {
  return { response: Promise.resolve(result) };
}

export function failedJoin(memberId: string, errorCode: KafkaErrorCode): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: "",
    memberId,
    members: [],
  };
}

export function failedSync(errorCode: KafkaErrorCode): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}
