// Requests to the other replicas: one out per destination, a backoff after a failure, answers
// handed back serially, and a reset that makes answers to forgotten requests stale.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OutboundRequests } from "../../../broker/raft/outbound-requests.ts";
import type { RaftApi, RaftChannel } from "../../../broker/raft/raft-channel.ts";
import { fetchRequest, voteRequest } from "../../../broker/raft/raft-messages.ts";
import { silentLogger } from "../../../broker/server/logger.ts";

/** A channel whose requests the test answers by hand. */
function manualChannel() {
  const out: { destination: number; api: RaftApi; resolve(value: unknown): void; reject(error: Error): void }[] = [];
  const channel: RaftChannel = {
    send: (destination, api) =>
      new Promise((resolve, reject) =>
        out.push({ destination, api, resolve: resolve as (value: unknown) => void, reject }),
      ),
    close: () => {},
  };
  return { channel, out };
}

function outbound(answer: (destination: number, api: string) => boolean = () => true) {
  const { channel, out } = manualChannel();
  let now = 100;
  const answered: string[] = [];
  const requests = new OutboundRequests({
    channel,
    retryBackoffMs: 20,
    now: () => now,
    serially: (work) => work(),
    onAnswer: (destination, api) => {
      answered.push(`${api}@${destination}`);
      return answer(destination, api);
    },
    logger: silentLogger,
  });
  return { requests, out, answered, setNow: (at: number) => (now = at) };
}

const vote = voteRequest(0, 1, { offset: 0n, epoch: 0 });
const fetch = fetchRequest({ replicaId: 0, epoch: 1, fetchOffset: 0n, lastFetchedEpoch: 0, maxWaitMs: 0, maxBytes: 1 });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("outbound raft requests", () => {
  it("when a request is out to a node, then no other goes there until it is answered", async () => {
    const { requests, out, answered } = outbound();
    requests.send(1, "Vote", vote);
    assert.equal(requests.isReady(1, 100), false);
    assert.equal(requests.readyAt(1, 100), Number.POSITIVE_INFINITY);
    assert.equal(requests.isReady(2, 100), true, "other nodes are independent");
    out[0]!.resolve({ errorCode: 0, topics: [] });
    await settle();
    assert.deepEqual(answered, ["Vote@1"]);
    assert.equal(requests.isReady(1, 100), true);
  });

  it("when a request fails or its answer is unusable, then the node waits out the retry backoff", async () => {
    const { requests, out } = outbound(() => false);
    requests.send(1, "Vote", vote);
    out[0]!.reject(new Error("connection refused"));
    await settle();
    assert.equal(requests.isReady(1, 110), false);
    assert.equal(requests.readyAt(1, 110), 120);
    assert.equal(requests.isReady(1, 120), true);
    requests.send(2, "Vote", vote);
    out[1]!.resolve({ errorCode: 0, topics: [] });
    await settle();
    assert.equal(requests.readyAt(2, 100), 120);
  });

  it("when everything is reset, then a forgotten Fetch's answer is dropped and frees nothing", async () => {
    const { requests, out, answered } = outbound();
    requests.send(1, "Fetch", fetch);
    requests.resetAll();
    assert.equal(requests.isReady(1, 100), true);
    requests.send(1, "Fetch", fetch);
    out[0]!.resolve({ throttleTimeMs: 0, responses: [] });
    await settle();
    assert.deepEqual(answered, [], "the stale fetch answer is not handled");
    assert.equal(requests.isReady(1, 100), false, "the new fetch is still out");
    out[1]!.resolve({ throttleTimeMs: 0, responses: [] });
    await settle();
    assert.deepEqual(answered, ["Fetch@1"]);
  });

  it("when everything is reset, then a forgotten election request's answer is still read", async () => {
    const { requests, out, answered } = outbound();
    requests.send(1, "Vote", vote);
    requests.resetAll();
    out[0]!.resolve({ errorCode: 0, topics: [] });
    await settle();
    assert.deepEqual(answered, ["Vote@1"]);
  });
});
