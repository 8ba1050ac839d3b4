// Builds populated sample values for any message schema and version, independently of the
// codec (its default rules are restated here on purpose, so the tests check them).

import type { FieldSchema, FieldType, MessageSchema, PrimitiveTypeName } from "../../../broker/protocol/schema.ts";
import { versionInRange } from "../../../broker/protocol/schema.ts";

export interface SampleOptions {
  /** Put null in every field that is nullable in the version. */
  nulls: boolean;
}

export function sampleMessage(schema: MessageSchema<unknown>, version: number, options: SampleOptions): any {
  const flexible = versionInRange(schema.flexibleVersions, version);
  let counter = 0;

  function sampleStruct(fields: readonly FieldSchema[]): Record<string, unknown> {
    const value: Record<string, unknown> = {};
    for (const field of fields) {
      const present =
        versionInRange(field.versions, version) &&
        !(field.tag !== undefined && versionInRange(field.taggedVersions, version) && !flexible);
      value[field.name] = present ? sampleField(field) : defaultOf(field);
    }
    return value;
  }

  function sampleField(field: FieldSchema): unknown {
    if (options.nulls && versionInRange(field.nullableVersions, version)) return null;
    return sampleType(field.type);
  }

  function sampleType(type: FieldType): unknown {
    if (typeof type === "string") return samplePrimitive(type);
    if (type.kind === "array") return [sampleType(type.items), sampleType(type.items)];
    return sampleStruct(type.fields);
  }

  function samplePrimitive(type: PrimitiveTypeName): unknown {
    counter++;
    switch (type) {
      case "int8":
        return (counter % 100) - 50;
      case "int16":
        return 1000 + counter;
      case "int32":
        return 100_000 * counter + 7;
      case "int64":
        return 0x0123456789abcdefn + BigInt(counter);
      case "uint16":
        return 60_000 + counter;
      case "uint32":
        return 4_000_000_000 + counter;
      case "float64":
        return counter + 0.25;
      case "bool":
        return counter % 2 === 0;
      case "string":
        return `s${counter}-é€`;
      case "bytes":
        return Buffer.from([counter & 0xff, 1, 2, 3]);
      case "records":
        return Buffer.from(`records-${counter}`);
      case "uuid":
        return Buffer.alloc(16, counter & 0xff);
    }
  }

  return sampleStruct(schema.fields);
}

function defaultOf(field: FieldSchema): unknown {
  if (field.default !== undefined) return field.default;
  const type = field.type;
  if (typeof type !== "string") {
    if (type.kind === "array") return [];
    const value: Record<string, unknown> = {};
    for (const nested of type.fields) value[nested.name] = defaultOf(nested);
    return value;
  }
  switch (type) {
    case "int64":
      return 0n;
    case "bool":
      return false;
    case "string":
      return "";
    case "bytes":
      return Buffer.alloc(0);
    case "records":
      return null;
    case "uuid":
      return Buffer.alloc(16);
    default:
      return 0;
  }
}
