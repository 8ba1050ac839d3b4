// A producer snapshot for the snapshot tests: one producer with two batches, and one with an id
// past 32 bits and no batches.
import type { ProducerSnapshot } from "../../../broker/storage/producer-snapshot.ts";

export const snapshot: ProducerSnapshot = {
  offset: 300n,
  producers: [
    {
      producerId: 7n,
      epoch: 2,
      batches: [
        { firstSequence: 0, lastSequence: 4, baseOffset: 10n },
        { firstSequence: 5, lastSequence: 5, baseOffset: 20n },
      ],
    },
    { producerId: 2n ** 40n, epoch: 0, batches: [] },
  ],
};
