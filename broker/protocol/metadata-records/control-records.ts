// Control records of the metadata log (Kafka's ControlRecordType / ControlRecordUtils): in a batch
// whose control attribute is set, each record's key is (int16 version 0, int16 type) and its value
// the type's message. A new Raft leader opens its epoch with a LeaderChangeMessage (type 2), whose
// value is the message body in flexible encoding, version 0. Holds no state.

import { ProtocolDecodeError, Reader, Writer } from "../primitives.ts";
import { decode, encode } from "../schema.ts";
import { type LeaderChangeMessage, LeaderChangeMessageSchema } from "./records/leader-change-message.ts";

export const ControlRecordType = {
  ABORT: 0,
  COMMIT: 1,
  LEADER_CHANGE: 2,
  SNAPSHOT_HEADER: 3,
  SNAPSHOT_FOOTER: 4,
  KRAFT_VERSION: 5,
  KRAFT_VOTERS: 6,
} as const;

export const CONTROL_RECORD_KEY_VERSION = 0;
/** The LeaderChangeMessage version written, and assumed when reading (the value does not carry it). */
export const LEADER_CHANGE_MESSAGE_VERSION = 0;

export interface ControlRecordKey {
  version: number;
  type: number;
}

export function encodeControlRecordKey(type: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_RECORD_KEY_VERSION, 0);
  key.writeInt16BE(type, 2);
  return key;
}

/**
 * Reads a control record's key. A newer key version still starts with the type, as in Kafka, so it
 * is read; a negative version or a key shorter than 4 bytes is damage.
 */
export function decodeControlRecordKey(key: Buffer): ControlRecordKey {
  const reader = new Reader(key);
  const version = reader.int16();
  if (version < 0) throw new ProtocolDecodeError(`control record key version ${version} is negative`);
  return { version, type: reader.int16() };
}

export function encodeLeaderChangeMessage(message: LeaderChangeMessage): Buffer {
  return encode(LeaderChangeMessageSchema, LEADER_CHANGE_MESSAGE_VERSION, message, new Writer(64)).toBuffer();
}

export function decodeLeaderChangeMessage(value: Buffer): LeaderChangeMessage {
  const reader = new Reader(value);
  const message = decode(LeaderChangeMessageSchema, LEADER_CHANGE_MESSAGE_VERSION, reader);
  if (reader.remaining !== 0) {
    throw new ProtocolDecodeError(`LeaderChangeMessage leaves ${reader.remaining} bytes unread`);
  }
  return message;
}
