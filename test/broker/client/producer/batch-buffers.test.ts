// The producer's pool of batch buffers: which batches get a pooled buffer, and that a buffer given
// back is the next one taken.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchBuffers } from "../../../../broker/client/producer/batch-buffers.ts";

describe("batch buffers", () => {
  it("when a batch is larger than the capacity or under an eighth of it, then it gets no pooled buffer", () => {
    const buffers = new BatchBuffers(64 * 1024);
    assert.equal(buffers.take(64 * 1024 + 1), undefined);
    assert.equal(buffers.take(8 * 1024 - 1), undefined);
    assert.equal(buffers.take(8 * 1024)?.length, 64 * 1024);
  });

  it("when a buffer is given back, then the next take returns it, and one still taken is never returned twice", () => {
    const buffers = new BatchBuffers(64 * 1024);
    const first = buffers.take(40_000)!;
    const second = buffers.take(40_000)!;
    assert.notEqual(first, second);
    buffers.give(first);
    assert.equal(buffers.take(50_000), first);
    assert.notEqual(buffers.take(50_000), second);
  });

  it("when more buffers are given back than it keeps, then the extra ones are dropped", () => {
    const buffers = new BatchBuffers(64 * 1024, 2);
    const taken = [buffers.take(40_000)!, buffers.take(40_000)!, buffers.take(40_000)!];
    for (const buffer of taken) buffers.give(buffer);
    const again = [buffers.take(40_000)!, buffers.take(40_000)!, buffers.take(40_000)!];
    assert.equal(again.filter((buffer) => taken.includes(buffer)).length, 2);
  });
});
