import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SEQUENCE_LIMIT, SequenceNumbers } from "../../../../broker/client/producer/sequence-numbers.ts";

const identity = { producerId: 7n, producerEpoch: 0 };

/** What `take` gives, kept as a batch for `release`. */
function takeBatch(sequences: SequenceNumbers<string>, partition: string, recordCount: number) {
  return { baseSequence: sequences.take(partition, recordCount), recordCount, generation: sequences.generation };
}

describe("SequenceNumbers", () => {
  it("when batches are taken, then each partition's sequence starts at 0 and advances by the records taken", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    assert.equal(sequences.take("t-0", 3), 0);
    assert.equal(sequences.take("t-0", 2), 3);
    assert.equal(sequences.take("t-1", 4), 0);
    assert.equal(sequences.nextFor("t-0"), 5);
    assert.equal(sequences.nextFor("t-1"), 4);
    assert.equal(sequences.nextFor("t-2"), 0);
  });

  it("when a sequence passes the largest int32, then it wraps to 0", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    sequences.take("t-0", SEQUENCE_LIMIT - 2);
    assert.equal(sequences.take("t-0", 5), SEQUENCE_LIMIT - 2);
    assert.equal(sequences.nextFor("t-0"), 3);
  });

  it("when a batch surely not written is given up, then its numbers go to the next batch", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    takeBatch(sequences, "t-0", 3);
    const refused = takeBatch(sequences, "t-0", 2);
    sequences.release("t-0", refused, "no");
    assert.equal(sequences.nextFor("t-0"), 3);
    assert.equal(sequences.inDoubt, false);
  });

  it("when a batch given up had later numbers taken after it, then nothing is given back", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    const first = takeBatch(sequences, "t-0", 3);
    takeBatch(sequences, "t-0", 2);
    sequences.release("t-0", first, "no");
    assert.equal(sequences.nextFor("t-0"), 5);
  });

  it("when a batch that may have been written is given up, then the producer id is in doubt and the numbers stay taken", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    const maybeWritten = takeBatch(sequences, "t-0", 3);
    sequences.release("t-0", maybeWritten, "maybe");
    assert.equal(sequences.inDoubt, true);
    assert.equal(sequences.nextFor("t-0"), 3);
  });

  it("when no new producer id can be had, then a batch that may have been written gives its numbers back", () => {
    const sequences = new SequenceNumbers<string>(identity, false);
    const maybeWritten = takeBatch(sequences, "t-0", 3);
    sequences.release("t-0", maybeWritten, "maybe");
    assert.equal(sequences.inDoubt, false);
    assert.equal(sequences.nextFor("t-0"), 0);
  });

  it("when a new producer id is in place, then every partition starts again at 0 and older batches move nothing", () => {
    const sequences = new SequenceNumbers<string>(identity, true);
    const old = takeBatch(sequences, "t-0", 3);
    takeBatch(sequences, "t-1", 4);
    sequences.release("t-0", old, "maybe");
    sequences.renewed();
    assert.equal(sequences.inDoubt, false);
    assert.equal(sequences.generation, 1);
    assert.equal(sequences.nextFor("t-0"), 0);
    assert.equal(sequences.nextFor("t-1"), 0);

    assert.equal(sequences.take("t-0", 2), 0);
    sequences.release("t-0", old, "no");
    sequences.release("t-0", old, "maybe");
    assert.equal(sequences.nextFor("t-0"), 2);
    assert.equal(sequences.inDoubt, false);
  });
});
