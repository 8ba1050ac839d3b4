// Producer id blocks for brokers (Kafka's ProducerIdControlManager): AllocateProducerIds hands the
// asking broker the next 1000 ids and writes a ProducerIdsRecord whose ProducerIdsEnd is the first id
// after them, so no block is ever handed out twice, across controller failovers too.
//
// Ownership: none — a pure function of the image (its nextProducerId) and the request.
import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataImage } from "../server/metadata/metadata-image.ts";
import type { ControllerResult } from "./controller-result.ts";
import { hasBrokerEpoch } from "./leader-and-isr.ts";

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

const INT64_MAX = (1n << 63n) - 1n;

export interface AllocateProducerIdsReply {
  errorCode: number;
  producerIdStart: bigint;
  producerIdLen: number;
}

export function allocateProducerIds(
  image: MetadataImage,
  request: { brokerId: number; brokerEpoch: bigint },
): ControllerResult<AllocateProducerIdsReply> {
  const refused = (errorCode: number) => ({
    records: [],
    response: { errorCode, producerIdStart: -1n, producerIdLen: 0 },
  });
  if (!hasBrokerEpoch(image, request.brokerId, request.brokerEpoch)) return refused(ErrorCode.STALE_BROKER_EPOCH);
  const start = image.nextProducerId;
  if (start > INT64_MAX - BigInt(PRODUCER_ID_BLOCK_SIZE)) return refused(ErrorCode.UNKNOWN_SERVER_ERROR);
  return {
    records: [
      {
        type: "ProducerIdsRecord",
        version: 0,
        data: {
          brokerId: request.brokerId,
          brokerEpoch: request.brokerEpoch,
          producerIdsEnd: start + BigInt(PRODUCER_ID_BLOCK_SIZE),
        },
      },
    ],
    response: { errorCode: ErrorCode.NONE, producerIdStart: start, producerIdLen: PRODUCER_ID_BLOCK_SIZE },
  };
}
