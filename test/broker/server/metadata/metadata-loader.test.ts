import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeMetadataRecord, type MetadataRecord } from "../../../../broker/protocol/metadata-records/serde.ts";
import type { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import {
  type CommittedBatch,
  type CommittedBatchSource,
  MetadataLoader,
} from "../../../../broker/server/metadata/metadata-loader.ts";
import { registerBrokerRecord, topicIdOf } from "../../controller/cluster-fixture.ts";

/** A Raft node's committed batches, delivered when the test says. */
class FakeSource implements CommittedBatchSource {
  private listener: ((batch: CommittedBatch) => void) | null = null;
  private next = 0n;

  onCommitted(listener: (batch: CommittedBatch) => void): void {
    this.listener = listener;
  }

  deliver(records: (MetadataRecord | Buffer)[], epoch = 1): CommittedBatch {
    const batch = {
      baseOffset: this.next,
      epoch,
      records: records.map((r) => (Buffer.isBuffer(r) ? r : encodeMetadataRecord(r))),
    };
    this.next += BigInt(records.length);
    this.listener!(batch);
    return batch;
  }

  redeliver(batch: CommittedBatch): void {
    this.listener!(batch);
  }
}

const topic = (name: string): MetadataRecord => ({
  type: "TopicRecord",
  version: 0,
  data: { name, topicId: topicIdOf(name) },
});

describe("MetadataLoader", () => {
  it("when batches are committed, then listeners get one new image per batch and the applied offset follows", () => {
    const source = new FakeSource();
    const loader = new MetadataLoader(source);
    const seen: [bigint, bigint][] = [];
    loader.subscribe((image, previous) => seen.push([previous.offset, image.offset]));
    assert.equal(loader.lastAppliedOffset, -1n);
    source.deliver([registerBrokerRecord(1, 1n), registerBrokerRecord(2, 2n)]);
    source.deliver([topic("orders")], 2);
    assert.deepEqual(seen, [
      [-1n, 1n],
      [1n, 2n],
    ]);
    assert.equal(loader.lastAppliedOffset, 2n);
    assert.equal(loader.image.epoch, 2);
    assert.equal(loader.image.broker(2)!.registrationOffset, 1n);
    assert.ok(loader.image.topic("orders"));
  });

  it("when a record cannot be decoded or does not apply, then it is reported and skipped and the rest of the batch applies", () => {
    const source = new FakeSource();
    const faults: bigint[] = [];
    const loader = new MetadataLoader(source, { onFault: (_message, _error, offset) => faults.push(offset) });
    source.deliver([
      Buffer.from([9, 9, 9]),
      { type: "FenceBrokerRecord", version: 0, data: { id: 5, epoch: 1n } },
      topic("kept"),
    ]);
    assert.deepEqual(faults, [0n, 1n]);
    assert.ok(loader.image.topic("kept"));
    assert.equal(loader.lastAppliedOffset, 2n);
  });

  it("when a batch is delivered again, then nothing changes and nobody is told", () => {
    const source = new FakeSource();
    const loader = new MetadataLoader(source);
    const batch = source.deliver([topic("once")]);
    let published = 0;
    loader.subscribe(() => published++);
    const image = loader.image;
    source.redeliver(batch);
    assert.equal(published, 0);
    assert.equal(loader.image, image);
  });

  it("when a listener throws or unsubscribes, then the others still get the image", () => {
    const source = new FakeSource();
    let faults = 0;
    const loader = new MetadataLoader(source, { onFault: () => faults++ });
    const images: MetadataImage[] = [];
    loader.subscribe(() => {
      throw new Error("listener bug");
    });
    const stop = loader.subscribe((image) => images.push(image));
    source.deliver([topic("a")]);
    stop();
    source.deliver([topic("b")]);
    assert.equal(images.length, 1);
    assert.equal(faults, 2);
  });

  it("when someone waits for an offset, then the wait ends with the first image at or past it", async () => {
    const source = new FakeSource();
    const loader = new MetadataLoader(source);
    const waiting = loader.waitForOffset(2n);
    source.deliver([topic("a"), topic("b")]);
    source.deliver([topic("c")]);
    const image = await waiting;
    assert.equal(image.offset, 2n);
    assert.equal((await loader.waitForOffset(0n)).offset, 2n);
  });
});
