// What a controller operation produces (Kafka's ControllerResult): the metadata records to append,
// all or none, and the answer to give once they are committed; and the errors that stop an
// operation before it has an answer of its own.
//
// Ownership: none — types and an error class.

import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";

export interface ControllerResult<T> {
  /** Appended as one batch; empty when the operation changes nothing. */
  records: MetadataRecord[];
  response: T;
  /** Called with the offset of the batch's last record once it is committed (Kafka's processBatchEndOffset). */
  afterCommit?: (offset: bigint) => void;
}

/** An operation that failed as a whole, with the Kafka error code its response carries. */
export class ControllerError extends Error {
  constructor(
    readonly errorCode: number,
    message: string = errorCodeName(errorCode),
  ) {
    super(message);
  }
}

/** This node is not (or no longer) the active controller: the caller must find the new one. */
export class NotControllerError extends ControllerError {
  constructor(message = "this node is not the active controller") {
    super(ErrorCode.NOT_CONTROLLER, message);
  }
}

/** The error code a failed controller call answers with: its own, or UNKNOWN_SERVER_ERROR for a bug. */
export function controllerErrorCode(error: unknown): number {
  return error instanceof ControllerError ? error.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR;
}
