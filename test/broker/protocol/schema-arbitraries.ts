// fast-check arbitraries for any message schema and version: values of every field the version
// carries (nulls where the version allows them), defaults elsewhere, as sample-values.ts builds
// its fixed samples. Kept small (short strings and arrays) so thousands of cases run in seconds.
import fc from "fast-check";
import type { FieldSchema, FieldType, MessageSchema, PrimitiveTypeName } from "../../../broker/protocol/schema.ts";
import { versionInRange } from "../../../broker/protocol/schema.ts";
import { sampleMessage } from "./sample-values.ts";

const int = (bits: number) => fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 });
const buffer = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((bytes) => Buffer.from(bytes));

function primitive(type: PrimitiveTypeName): fc.Arbitrary<unknown> {
  switch (type) {
    case "int8":
      return int(8);
    case "int16":
      return int(16);
    case "int32":
      return int(32);
    case "int64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case "uint16":
      return fc.integer({ min: 0, max: 0xffff });
    case "uint32":
      return fc.integer({ min: 0, max: 0xffffffff });
    case "float64":
      return fc.double();
    case "bool":
      return fc.boolean();
    case "string":
      // Whole code points only: a lone surrogate does not survive utf-8.
      return fc.string({ unit: "binary", maxLength: 12 });
    case "bytes":
    case "records":
      return buffer(0, 24);
    case "uuid":
      return buffer(16, 16);
  }
}

/** Values of `schema` at `version` as the codec takes them. */
export function messageArbitrary(schema: MessageSchema<unknown>, version: number): fc.Arbitrary<unknown> {
  const flexible = versionInRange(schema.flexibleVersions, version);
  // Fields a version does not carry keep the values sample-values gives them (their defaults).
  const defaults = sampleMessage(schema, version, { nulls: false });

  function struct(fields: readonly FieldSchema[], defaultValue: Record<string, unknown>): fc.Arbitrary<unknown> {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const field of fields) {
      const present =
        versionInRange(field.versions, version) &&
        !(field.tag !== undefined && versionInRange(field.taggedVersions, version) && !flexible);
      shape[field.name] = present
        ? fieldArbitrary(field, defaultValue[field.name])
        : fc.constant(defaultValue[field.name]);
    }
    // fc.record's objects have no prototype; decoded ones are plain objects.
    return fc.record(shape).map((value) => ({ ...value }));
  }

  function fieldArbitrary(field: FieldSchema, defaultValue: unknown): fc.Arbitrary<unknown> {
    const value = typeArbitrary(field.type, defaultValue);
    return versionInRange(field.nullableVersions, version) ? fc.option(value, { nil: null }) : value;
  }

  function typeArbitrary(type: FieldType, defaultValue: unknown): fc.Arbitrary<unknown> {
    if (typeof type === "string") return primitive(type);
    if (type.kind === "array") {
      const sample = Array.isArray(defaultValue) ? defaultValue[0] : undefined;
      return fc.array(typeArbitrary(type.items, sample), { maxLength: 3 });
    }
    return struct(type.fields, (defaultValue ?? {}) as Record<string, unknown>);
  }

  return struct(schema.fields, defaults);
}
