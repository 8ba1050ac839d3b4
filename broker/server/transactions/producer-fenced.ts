// PRODUCER_FENCED (Kafka 2.7) is answered only to request versions that know it; older versions
// get INVALID_PRODUCER_EPOCH, which their clients treat the same way (as Kafka's KafkaApis maps it).
import { ErrorCode } from "../../protocol/errors.ts";

/** `firstVersion`: the request version from which PRODUCER_FENCED is sent as it is. */
export function producerFencedFor(errorCode: number, apiVersion: number, firstVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < firstVersion
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : errorCode;
}
