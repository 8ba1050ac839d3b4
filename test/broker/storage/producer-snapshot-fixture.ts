// A producer snapshot for the snapshot tests: one producer with two batches amid a transaction
// (coordinator epoch 3, started at offset 10), and one with an id past 32 bits, no batches and
// no transaction.
import type { ProducerSnapshot } from "../../../broker/storage/producer-snapshot.ts";

export const snapshot: ProducerSnapshot = {
  offset: 300n,
  producers: [
    {
      producerId: 7n,
      epoch: 2,
      coordinatorEpoch: 3,
      currentTxnFirstOffset: 10n,
      batches: [
        { firstSequence: 0, lastSequence: 4, baseOffset: 10n },
        { firstSequence: 5, lastSequence: 5, baseOffset: 20n },
      ],
    },
    { producerId: 2n ** 40n, epoch: 0, coordinatorEpoch: -1, currentTxnFirstOffset: -1n, batches: [] },
  ],
};
