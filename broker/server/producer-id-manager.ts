// Producer ids on a KRaft broker (Kafka's RPCProducerIdManager): InitProducerId hands out ids from
// a block this broker got from the controller with AllocateProducerIds; the next block is asked for
// when the current one runs low, so a new producer rarely waits for the controller.
//
// Ownership: one ProducerIdManager per broker owns its current and prefetched blocks and the one
// request for a block in flight.
import { Apis } from "../protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import type { ControllerChannel } from "./node-to-controller-channel.ts";

interface Block {
  next: bigint;
  end: bigint;
  /** Ids left when the next block is asked for. */
  prefetchAt: bigint;
}

/** A new block is asked for when this share of the current one is left (Kafka asks at 10 %). */
const prefetchWhenLeft = 0.1;

export class ProducerIdManager {
  #current: Block | null = null;
  #prefetched: Block | null = null;
  #fetching: Promise<void> | null = null;

  constructor(
    private readonly brokerId: number,
    private readonly brokerEpoch: () => bigint,
    private readonly channel: ControllerChannel,
  ) {}

  async next(): Promise<bigint> {
    for (;;) {
      const block = this.#current;
      if (block && block.next < block.end) {
        const id = block.next++;
        // A failed prefetch is no one's error yet: the caller that needs the block asks again.
        if (block.end - block.next < block.prefetchAt && !this.#prefetched) this.#fetch().catch(() => {});
        return id;
      }
      if (this.#prefetched) {
        this.#current = this.#prefetched;
        this.#prefetched = null;
        continue;
      }
      await this.#fetch();
    }
  }

  #fetch(): Promise<void> {
    this.#fetching ??= this.channel
      .send(Apis.AllocateProducerIds, { brokerId: this.brokerId, brokerEpoch: this.brokerEpoch() })
      .then((response) => {
        if (response.errorCode !== ErrorCode.NONE)
          throw new Error(`AllocateProducerIds failed: ${errorCodeName(response.errorCode)}`);
        const block = {
          next: response.producerIdStart,
          end: response.producerIdStart + BigInt(response.producerIdLen),
          prefetchAt: BigInt(Math.ceil(response.producerIdLen * prefetchWhenLeft)),
        };
        if (this.#current && this.#current.next < this.#current.end) this.#prefetched = block;
        else this.#current = block;
      })
      .finally(() => {
        this.#fetching = null;
      });
    return this.#fetching;
  }
}
