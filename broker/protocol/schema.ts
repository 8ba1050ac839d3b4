// biome-ignore-all lint/suspicious/noExplicitAny: compiled codecs read and write values of every message shape
// Schema-driven codec: one schema per message (mirroring Kafka's JSON message specs) from
// which the encoder and decoder of every version derive. A schema+version pair is compiled
// once into closures and cached, because Produce and Fetch go through here on every request.

import { ProtocolDecodeError, type Reader, readTaggedFieldCount, Writer } from "./primitives.ts";

export type PrimitiveTypeName =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint16"
  | "uint32"
  | "float64"
  | "bool"
  | "string"
  | "bytes"
  | "records"
  | "uuid";

export interface StructType {
  kind: "struct";
  /** The spec's struct type name, e.g. "TopicProduceData". */
  name: string;
  fields: readonly FieldSchema[];
}

export interface ArrayType {
  kind: "array";
  items: PrimitiveTypeName | StructType;
}

export type FieldType = PrimitiveTypeName | StructType | ArrayType;

/**
 * Version ranges use the spec's notation: "3+", "0-7", "5", "none".
 */
export type VersionRange = string;

export type DefaultValue = number | bigint | boolean | string | null;

export interface FieldSchema {
  /** Property name in decoded values (camelCase of the spec's name). */
  name: string;
  type: FieldType;
  versions: VersionRange;
  nullableVersions?: VersionRange;
  taggedVersions?: VersionRange;
  tag?: number;
  default?: DefaultValue;
  /** Overrides the message's flexibleVersions for this field (the request header's ClientId is "none"). */
  flexibleVersions?: VersionRange;
}

export interface MessageSchema<T = unknown> {
  name: string;
  /** The API's key; a metadata record's record type; -1 for a data message such as LeaderChangeMessage. */
  apiKey: number;
  /** "metadata": a metadata-log record; "data": a record value of no API (a control record's). */
  type: "request" | "response" | "header" | "metadata" | "data";
  validVersions: VersionRange;
  flexibleVersions: VersionRange;
  fields: readonly FieldSchema[];
  /** Never set: carries the decoded value type for encode/decode. */
  readonly valueType?: T;
}

export class UnsupportedVersionError extends Error {
  constructor(
    readonly messageName: string,
    readonly version: number,
  ) {
    super(`${messageName} does not support version ${version}`);
    this.name = "UnsupportedVersionError";
  }
}

export function versionInRange(range: VersionRange | undefined, version: number): boolean {
  if (range === undefined || range === "none") return false;
  if (range.endsWith("+")) return version >= Number(range.slice(0, -1));
  const dash = range.indexOf("-");
  if (dash < 0) return version === Number(range);
  return version >= Number(range.slice(0, dash)) && version <= Number(range.slice(dash + 1));
}

export function isFlexibleVersion(schema: MessageSchema<unknown>, version: number): boolean {
  return versionInRange(schema.flexibleVersions, version);
}

export function encode<T>(schema: MessageSchema<T>, version: number, value: T, writer: Writer = new Writer()): Writer {
  compiledCodec(schema, version).encode(value, writer);
  return writer;
}

export function decode<T>(schema: MessageSchema<T>, version: number, reader: Reader): T {
  return compiledCodec(schema, version).decode(reader) as T;
}

/** A fresh value of the message with every field at its default for the version. */
export function defaultValue<T>(schema: MessageSchema<T>, version: number): T {
  return compiledCodec(schema, version).makeDefault() as T;
}

// ---------------------------------------------------------------------------------------------

type EncodeFn = (value: any, writer: Writer) => void;
type DecodeFn = (reader: Reader) => any;

interface CompiledCodec {
  encode: EncodeFn;
  decode: DecodeFn;
  makeDefault: () => unknown;
}

const codecCache = new WeakMap<MessageSchema<unknown>, Map<number, CompiledCodec>>();

function compiledCodec(schema: MessageSchema<unknown>, version: number): CompiledCodec {
  let byVersion = codecCache.get(schema);
  if (byVersion === undefined) {
    byVersion = new Map();
    codecCache.set(schema, byVersion);
  }
  let codec = byVersion.get(version);
  if (codec === undefined) {
    if (!versionInRange(schema.validVersions, version)) throw new UnsupportedVersionError(schema.name, version);
    const context: CompileContext = { version, flexible: isFlexibleVersion(schema, version), path: schema.name };
    codec = compileStruct(schema.fields, context);
    byVersion.set(version, codec);
  }
  return codec;
}

interface CompileContext {
  version: number;
  flexible: boolean;
  path: string;
}

interface CompiledField {
  name: string;
  encode: EncodeFn;
  decode: DecodeFn;
  makeDefault: () => unknown;
  isDefault: (value: unknown) => boolean;
}

interface CompiledTaggedField extends CompiledField {
  tag: number;
}

function compileStruct(fields: readonly FieldSchema[], context: CompileContext): CompiledCodec {
  const allFields: CompiledField[] = [];
  const regularFields: CompiledField[] = [];
  const taggedFields: CompiledTaggedField[] = [];

  for (const field of fields) {
    const present = versionInRange(field.versions, context.version);
    const fieldContext: CompileContext = {
      version: context.version,
      flexible:
        context.flexible &&
        (field.flexibleVersions === undefined || versionInRange(field.flexibleVersions, context.version)),
      path: `${context.path}.${field.name}`,
    };
    const compiled = compileField(field, fieldContext);
    allFields.push(compiled);
    if (!present) continue;
    const taggedInVersion = field.tag !== undefined && versionInRange(field.taggedVersions, context.version);
    if (!taggedInVersion) regularFields.push(compiled);
    // Tagged fields only exist on the wire in flexible versions.
    else if (context.flexible) taggedFields.push({ ...compiled, tag: field.tag! });
  }
  taggedFields.sort((a, b) => a.tag - b.tag);
  const taggedByTag = new Map(taggedFields.map((field) => [field.tag, field]));
  return generatedStruct(allFields, regularFields, context.flexible ? { taggedFields, taggedByTag } : null);
}

/**
 * A struct's codec as straight-line code, made once per struct type and version: each field read
 * and written by its own name, so every struct type has its own monomorphic property accesses, and
 * a decoded struct is built by one object literal (fields read in place, in schema order; fields
 * absent in this version, or tagged, filled with their defaults, which the tagged section may
 * overwrite), so the structs of a type share one shape. A loop over the field names went through
 * megamorphic keyed property accesses and a shape transition per field.
 */
function generatedStruct(
  allFields: readonly CompiledField[],
  regularFields: readonly CompiledField[],
  tagged: {
    taggedFields: readonly CompiledTaggedField[];
    taggedByTag: ReadonlyMap<number, CompiledTaggedField>;
  } | null,
): CompiledCodec {
  const key = (field: CompiledField): string => {
    // An object literal would set the prototype instead of a property of that name.
    if (field.name === "__proto__") throw new TypeError("a field may not be named __proto__");
    return JSON.stringify(field.name);
  };
  const index = new Map(allFields.map((field, i) => [field, i]));
  const params = allFields.flatMap((_, i) => [`m${i}`, `d${i}`, `e${i}`]);
  const args = allFields.flatMap((field) => [field.makeDefault, field.decode, field.encode]);
  const literal = (value: (field: CompiledField, i: number) => string) =>
    `{ ${allFields.map((field, i) => `${key(field)}: ${value(field, i)}`).join(", ")} }`;
  const body = `
    const makeDefault = () => (${literal((_, i) => `m${i}()`)});
    const decode = (reader) => {
      const value = ${literal((field, i) => (regularFields.includes(field) ? `d${i}(reader)` : `m${i}()`))};
      ${tagged ? "decodeTaggedSection(tagged.taggedByTag, value, reader);" : ""}
      return value;
    };
    const encode = (value, writer) => {
      if (value === undefined) value = makeDefault();
      ${regularFields.map((field) => `e${index.get(field)}(value[${key(field)}], writer);`).join("\n      ")}
      ${tagged ? "encodeTaggedSection(tagged.taggedFields, value, writer);" : ""}
    };
    return { encode, decode, makeDefault };`;
  // Made from the schema's field list alone, its names quoted as JSON.
  const factory = new Function("tagged", "encodeTaggedSection", "decodeTaggedSection", ...params, body);
  return factory(tagged, encodeTaggedSection, decodeTaggedSection, ...args) as CompiledCodec;
}

function encodeTaggedSection(taggedFields: readonly CompiledTaggedField[], value: any, writer: Writer): void {
  let count = 0;
  for (const field of taggedFields) if (!field.isDefault(value[field.name])) count++;
  writer.uvarint(count);
  if (count === 0) return;
  for (const field of taggedFields) {
    const fieldValue = value[field.name];
    if (field.isDefault(fieldValue)) continue;
    const fieldWriter = new Writer(64);
    field.encode(fieldValue, fieldWriter);
    writer.uvarint(field.tag).uvarint(fieldWriter.length);
    for (const chunk of fieldWriter.chunks()) writer.raw(chunk);
  }
}

function decodeTaggedSection(taggedByTag: ReadonlyMap<number, CompiledTaggedField>, value: any, reader: Reader): void {
  const count = readTaggedFieldCount(reader);
  for (let i = 0; i < count; i++) {
    const tag = reader.uvarint();
    const size = reader.uvarint();
    const data = reader.raw(size);
    const field = taggedByTag.get(tag);
    if (field !== undefined) value[field.name] = field.decode(reader.nested(data));
  }
}

function compileField(field: FieldSchema, context: CompileContext): CompiledField {
  const nullable = versionInRange(field.nullableVersions, context.version);
  // A struct field's codec and its default come from the one compiled struct.
  const struct =
    typeof field.type !== "string" && field.type.kind === "struct" ? compileStruct(field.type.fields, context) : null;
  const makeDefault = defaultFactory(field, struct);
  const valueCodec = struct ? structCodec(struct, nullable) : compileType(field.type, nullable, context);
  const encodeValue = valueCodec.encode;
  const encodeField: EncodeFn = (value, writer) => encodeValue(value === undefined ? makeDefault() : value, writer);
  return {
    name: field.name,
    encode: encodeField,
    decode: valueCodec.decode,
    makeDefault,
    isDefault: defaultTester(field, makeDefault, encodeField),
  };
}

function defaultTester(
  field: FieldSchema,
  makeDefault: () => unknown,
  encodeField: EncodeFn,
): (value: unknown) => boolean {
  if (typeof field.type !== "string" && field.type.kind === "struct") {
    // A struct equals its default when it encodes to the same bytes.
    let defaultBytes: Buffer | undefined;
    return (value) => {
      if (value === undefined) return true;
      defaultBytes ??= encodeToBuffer(encodeField, makeDefault());
      return encodeToBuffer(encodeField, value).equals(defaultBytes);
    };
  }
  const defaultSample = makeDefault();
  return (value) => {
    if (value === undefined || value === defaultSample) return true;
    if (Array.isArray(value)) return value.length === 0 && Array.isArray(defaultSample) && defaultSample.length === 0;
    if (Buffer.isBuffer(value)) return Buffer.isBuffer(defaultSample) && value.equals(defaultSample);
    return false;
  };
}

function encodeToBuffer(encodeFn: EncodeFn, value: unknown): Buffer {
  const writer = new Writer(64);
  encodeFn(value, writer);
  return writer.toBuffer();
}

const EMPTY_BUFFER = Buffer.alloc(0);
const ZERO_UUID = Buffer.alloc(16);

/** `struct`: the field's type compiled, when it is a struct. */
function defaultFactory(field: FieldSchema, struct: CompiledCodec | null): () => unknown {
  const type = field.type;
  if (field.default !== undefined) {
    const value = field.default;
    return () => value;
  }
  if (struct) return struct.makeDefault;
  if (typeof type !== "string") return () => [];
  switch (type) {
    case "int64":
      return () => 0n;
    case "bool":
      return () => false;
    case "string":
      return () => "";
    case "bytes":
      return () => EMPTY_BUFFER;
    case "records":
      return () => null;
    case "uuid":
      // One shared zero uuid: a field absent in a version must not cost a buffer per decoded item.
      return () => ZERO_UUID;
    default:
      return () => 0;
  }
}

interface ValueCodec {
  encode: EncodeFn;
  decode: DecodeFn;
}

function compileType(type: FieldType, nullable: boolean, context: CompileContext): ValueCodec {
  if (typeof type === "string") return primitiveCodec(type, nullable, context);
  if (type.kind === "array") return arrayCodec(type, nullable, context);
  return structCodec(compileStruct(type.fields, context), nullable);
}

function rejectNull(context: CompileContext): never {
  throw new TypeError(`${context.path} is not nullable in version ${context.version}`);
}

function primitiveCodec(type: PrimitiveTypeName, nullable: boolean, context: CompileContext): ValueCodec {
  const flexible = context.flexible;
  switch (type) {
    case "int8":
      return { encode: (v, w) => w.int8(v), decode: (r) => r.int8() };
    case "int16":
      return { encode: (v, w) => w.int16(v), decode: (r) => r.int16() };
    case "int32":
      return { encode: (v, w) => w.int32(v), decode: (r) => r.int32() };
    case "int64":
      return { encode: (v, w) => w.int64(v), decode: (r) => r.int64() };
    case "uint16":
      return { encode: (v, w) => w.uint16(v), decode: (r) => r.uint16() };
    case "uint32":
      return { encode: (v, w) => w.uint32(v), decode: (r) => r.uint32() };
    case "float64":
      return { encode: (v, w) => w.float64(v), decode: (r) => r.float64() };
    case "bool":
      return { encode: (v, w) => w.bool(v), decode: (r) => r.bool() };
    case "uuid":
      return { encode: (v, w) => w.uuid(v), decode: (r) => r.uuid() };
    case "string":
      if (flexible) {
        return nullable
          ? { encode: (v, w) => w.compactNullableString(v), decode: (r) => r.compactNullableString() }
          : {
              encode: (v, w) => (v === null ? rejectNull(context) : w.compactString(v)),
              decode: (r) => r.compactString(),
            };
      }
      return nullable
        ? { encode: (v, w) => w.nullableString(v), decode: (r) => r.nullableString() }
        : { encode: (v, w) => (v === null ? rejectNull(context) : w.string(v)), decode: (r) => r.string() };
    case "bytes":
      if (flexible) {
        return nullable
          ? { encode: (v, w) => w.compactNullableBytes(v), decode: (r) => r.compactNullableBytes() }
          : {
              encode: (v, w) => (v === null ? rejectNull(context) : w.compactBytes(v)),
              decode: (r) => r.compactBytes(),
            };
      }
      return nullable
        ? { encode: (v, w) => w.nullableBytes(v), decode: (r) => r.nullableBytes() }
        : { encode: (v, w) => (v === null ? rejectNull(context) : w.bytes(v)), decode: (r) => r.bytes() };
    case "records":
      return recordsCodec(nullable, context);
  }
}

// Records stay raw bytes: the storage layer and the record batch module look inside them.
function recordsCodec(nullable: boolean, context: CompileContext): ValueCodec {
  const flexible = context.flexible;
  const encodeRecords: EncodeFn = (value: Buffer | readonly Buffer[] | null, writer) => {
    if (value === null) {
      if (!nullable) rejectNull(context);
      if (flexible) writer.uvarint(0);
      else writer.int32(-1);
      return;
    }
    if (Buffer.isBuffer(value)) {
      if (flexible) writer.uvarint(value.length + 1);
      else writer.int32(value.length);
      writer.raw(value);
      return;
    }
    let total = 0;
    for (const chunk of value) total += chunk.length;
    if (flexible) writer.uvarint(total + 1);
    else writer.int32(total);
    for (const chunk of value) writer.raw(chunk);
  };
  const decodeRecords: DecodeFn = (reader) => {
    const value = flexible ? reader.compactNullableBytes() : reader.nullableBytes();
    if (value === null && !nullable) throw new ProtocolDecodeError(`${context.path} is null but not nullable`);
    return value;
  };
  return { encode: encodeRecords, decode: decodeRecords };
}

function arrayCodec(type: ArrayType, nullable: boolean, context: CompileContext): ValueCodec {
  // Array items are never nullable themselves.
  const item = compileType(type.items, false, context);
  const encodeItem = item.encode;
  const decodeItem = item.decode;
  const flexible = context.flexible;
  const itemCost = estimatedItemCost(type.items, context);

  const encodeArray: EncodeFn = (value: readonly unknown[] | null, writer) => {
    if (value === null) {
      if (!nullable) rejectNull(context);
      if (flexible) writer.uvarint(0);
      else writer.int32(-1);
      return;
    }
    if (flexible) writer.uvarint(value.length + 1);
    else writer.int32(value.length);
    for (let i = 0; i < value.length; i++) encodeItem(value[i], writer);
  };

  const decodeArray: DecodeFn = (reader) => {
    const length = flexible ? reader.uvarint() - 1 : reader.int32();
    if (length < 0) {
      if (!nullable) throw new ProtocolDecodeError(`${context.path} is null but not nullable`);
      return null;
    }
    // Each item takes at least one byte: this stops a forged length from allocating a huge array.
    if (length > reader.remaining) {
      throw new ProtocolDecodeError(`${context.path} claims ${length} items with ${reader.remaining} bytes left`);
    }
    reader.charge(ARRAY_COST + length * itemCost);
    const items = new Array(length);
    for (let i = 0; i < length; i++) items[i] = decodeItem(reader);
    return items;
  };

  return { encode: encodeArray, decode: decodeArray };
}

/** Roughly what V8 spends on an array and on one slot of it (a pointer or a small integer). */
const ARRAY_COST = 32;
const SLOT_COST = 8;
/** An object of n fields: its header and one slot per field. */
const OBJECT_COST = 32;
/** A string, a bigint or a Buffer view: the object itself (its bytes came on the wire). */
const BOXED_COST = 32;

/** The estimated bytes one decoded array item costs beyond its wire bytes, for the decode allowance. */
function estimatedItemCost(type: FieldType, context: CompileContext): number {
  if (typeof type === "string") {
    switch (type) {
      case "string":
      case "bytes":
      case "records":
      case "uuid":
      case "int64":
        return SLOT_COST + BOXED_COST;
      default:
        return SLOT_COST;
    }
  }
  if (type.kind === "array") return SLOT_COST + ARRAY_COST;
  // Every field of every version is filled in (defaults for absent ones), so all count.
  let cost = SLOT_COST + OBJECT_COST;
  for (const field of type.fields) cost += estimatedItemCost(field.type, context);
  return cost;
}

function structCodec(struct: CompiledCodec, nullable: boolean): ValueCodec {
  if (!nullable) return { encode: struct.encode, decode: struct.decode };
  // Nullable structs carry a presence byte: -1 null, 1 present.
  return {
    encode: (value, writer) => {
      if (value === null) {
        writer.int8(-1);
        return;
      }
      writer.int8(1);
      struct.encode(value, writer);
    },
    decode: (reader) => (reader.int8() < 0 ? null : struct.decode(reader)),
  };
}
