// The single-partition KRaft messages: what they name, and that a Fetch v12 answer keeps its
// DivergingEpoch and CurrentLeader (tagged fields) through the wire codec.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { Reader } from "../../../broker/protocol/primitives.ts";
import { decode, encode } from "../../../broker/protocol/schema.ts";
import {
  beginQuorumEpochRequest,
  endQuorumEpochRequest,
  fetchRequest,
  fetchResponse,
  isMetadataLogFetch,
  RAFT_FETCH_VERSION,
  singleFetchPartition,
  singleFetchResponsePartition,
  singlePartition,
  voteRequest,
  voteResponse,
} from "../../../broker/raft/raft-messages.ts";

const roundTrip = <T>(schema: Parameters<typeof encode<T>>[0], version: number, value: T): T =>
  decode(schema, version, new Reader(encode(schema, version, value).toBuffer()));

describe("KRaft messages", () => {
  it("when a message names __cluster_metadata-0 alone, then its partition is found; anything else is refused", () => {
    const vote = voteRequest(1, 5, { offset: 10n, epoch: 4 });
    assert.deepEqual(singlePartition(vote.topics), {
      partitionIndex: 0,
      candidateEpoch: 5,
      candidateId: 1,
      lastOffsetEpoch: 4,
      lastOffset: 10n,
    });
    assert.equal(singlePartition([{ topicName: "other", partitions: [{ partitionIndex: 0 }] }]), null);
    assert.equal(singlePartition([{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 1 }] }]), null);
    assert.equal(singlePartition([]), null);
  });

  it("when requests are built, then they survive their API's codec unchanged", () => {
    const vote = voteRequest(1, 5, { offset: 10n, epoch: 4 });
    assert.deepEqual(roundTrip(Apis.Vote.requestSchema, 0, vote), vote);
    const begin = beginQuorumEpochRequest(2, 6);
    assert.deepEqual(roundTrip(Apis.BeginQuorumEpoch.requestSchema, 0, begin), begin);
    const end = endQuorumEpochRequest(2, 6, [1, 0]);
    assert.deepEqual(roundTrip(Apis.EndQuorumEpoch.requestSchema, 0, end), end);
    const fetch = fetchRequest({
      replicaId: 3,
      epoch: 6,
      fetchOffset: 42n,
      lastFetchedEpoch: 5,
      maxWaitMs: 500,
      maxBytes: 1024,
    });
    const decoded = roundTrip(Apis.Fetch.requestSchema, RAFT_FETCH_VERSION, fetch);
    assert.equal(decoded.replicaId, 3);
    assert.deepEqual(singleFetchPartition(decoded), singleFetchPartition(fetch));
    const answer = voteResponse(ErrorCode.NONE, { leaderId: null, epoch: 5 }, true);
    assert.deepEqual(roundTrip(Apis.Vote.responseSchema, 0, answer), answer);
  });

  it("when a Fetch v12 answer diverges, then DivergingEpoch and CurrentLeader come through the codec", () => {
    const response = fetchResponse({
      errorCode: ErrorCode.NONE,
      current: { leaderId: 2, epoch: 7 },
      highWatermark: 30n,
      logStartOffset: 0n,
      divergingAt: { offset: 25n, epoch: 6 },
    });
    const partition = singleFetchResponsePartition(roundTrip(Apis.Fetch.responseSchema, RAFT_FETCH_VERSION, response))!;
    assert.deepEqual(partition.divergingEpoch, { epoch: 6, endOffset: 25n });
    assert.deepEqual(partition.currentLeader, { leaderId: 2, leaderEpoch: 7 });
    assert.equal(partition.highWatermark, 30n);
  });

  it("when an answer carries records, then they arrive as one buffer; with no leader known, the leader is -1", () => {
    const response = fetchResponse({
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
      current: { leaderId: null, epoch: 3 },
      highWatermark: null,
      logStartOffset: 0n,
      records: [Buffer.from("ab"), Buffer.from("cd")],
    });
    const partition = singleFetchResponsePartition(roundTrip(Apis.Fetch.responseSchema, RAFT_FETCH_VERSION, response))!;
    assert.deepEqual(partition.records, Buffer.from("abcd"));
    assert.equal(partition.highWatermark, -1n);
    assert.deepEqual(partition.currentLeader, { leaderId: -1, leaderEpoch: 3 });
  });

  it("when a Fetch is sorted, then only v12+ fetches of __cluster_metadata go to the Raft node", () => {
    const raft = fetchRequest({
      replicaId: 1,
      epoch: 1,
      fetchOffset: 0n,
      lastFetchedEpoch: 0,
      maxWaitMs: 0,
      maxBytes: 1,
    });
    assert.equal(isMetadataLogFetch(raft, 12), true);
    assert.equal(isMetadataLogFetch(raft, 11), false);
    const consumer = { ...raft, topics: [{ ...raft.topics[0]!, topic: "points.events" }] };
    assert.equal(isMetadataLogFetch(consumer, 12), false);
  });
});
