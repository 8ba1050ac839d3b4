// The metadata log's record framing (Kafka's MetadataRecordSerde): each record value is an unsigned
// varint frame version (1), an unsigned varint record type (the record spec's apiKey), an unsigned
// varint record version, then the record body in the flexible encoding of that version. The
// records sit as values in ordinary magic-2 batches of __cluster_metadata-0. Holds no state.

import { ProtocolDecodeError, Reader, Writer } from "../primitives.ts";
import { decode, encode, type MessageSchema, versionInRange } from "../schema.ts";
import { METADATA_RECORD_SCHEMAS } from "./records/index.ts";

export const METADATA_FRAME_VERSION = 1;

type Schemas = typeof METADATA_RECORD_SCHEMAS;
export type MetadataRecordType = keyof Schemas;
export type MetadataRecordData<Type extends MetadataRecordType> =
  Schemas[Type] extends MessageSchema<infer Data> ? Data : never;

/** One metadata record: its type (the spec's name), the version its body is written in, and the body. */
export interface MetadataRecordOf<Type extends MetadataRecordType> {
  type: Type;
  version: number;
  data: MetadataRecordData<Type>;
}

export type MetadataRecord = { [Type in MetadataRecordType]: MetadataRecordOf<Type> }[MetadataRecordType];

const typeByApiKey = new Map<number, MetadataRecordType>(
  (Object.keys(METADATA_RECORD_SCHEMAS) as MetadataRecordType[]).map((type) => [
    METADATA_RECORD_SCHEMAS[type].apiKey,
    type,
  ]),
);

/** The newest version of a record type, the one new records are written in. */
export function latestVersion(type: MetadataRecordType): number {
  const range = METADATA_RECORD_SCHEMAS[type].validVersions;
  const dash = range.indexOf("-");
  return Number(dash < 0 ? range : range.slice(dash + 1));
}

/** A record of `type` in its newest version. */
export function metadataRecord<Type extends MetadataRecordType>(
  type: Type,
  data: MetadataRecordData<Type>,
): MetadataRecordOf<Type> {
  return { type, version: latestVersion(type), data };
}

function schemaOf(type: MetadataRecordType): MessageSchema<unknown> {
  return METADATA_RECORD_SCHEMAS[type] as MessageSchema<unknown>;
}

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  const schema = schemaOf(record.type);
  const writer = new Writer(128);
  writer.uvarint(METADATA_FRAME_VERSION).uvarint(schema.apiKey).uvarint(record.version);
  // encode() refuses a version outside the schema's range.
  encode(schema, record.version, record.data, writer);
  return writer.toBuffer();
}

/** Throws ProtocolDecodeError for an unknown frame version, record type or version, or a damaged body. */
export function decodeMetadataRecord(bytes: Buffer): MetadataRecord {
  const reader = new Reader(bytes);
  const frameVersion = reader.uvarint();
  if (frameVersion !== METADATA_FRAME_VERSION) {
    throw new ProtocolDecodeError(`metadata record frame version ${frameVersion} is not ${METADATA_FRAME_VERSION}`);
  }
  const apiKey = reader.uvarint();
  const type = typeByApiKey.get(apiKey);
  if (type === undefined) throw new ProtocolDecodeError(`unknown metadata record type ${apiKey}`);
  const version = reader.uvarint();
  const schema = schemaOf(type);
  if (!versionInRange(schema.validVersions, version)) {
    throw new ProtocolDecodeError(`${type} has no version ${version}`);
  }
  const data = decode(schema, version, reader);
  if (reader.remaining !== 0) {
    throw new ProtocolDecodeError(`${type} v${version} leaves ${reader.remaining} bytes unread`);
  }
  return { type, version, data } as MetadataRecord;
}
