import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ProtocolDecodeError, Reader, Writer } from "../../../broker/protocol/primitives.ts";
import type { MessageSchema } from "../../../broker/protocol/schema.ts";
import {
  decode,
  defaultValue,
  encode,
  UnsupportedVersionError,
  versionInRange,
} from "../../../broker/protocol/schema.ts";

function encoded<T>(schema: MessageSchema<T>, version: number, value: T): Buffer {
  return encode(schema, version, value, new Writer()).toBuffer();
}

interface Sample {
  id: number;
  label: string | null;
  detail: { code: number; note: string } | null;
  extra: { count: number } | undefined;
  items: number[];
}

// A small schema exercising what the Kafka set of APIs in our ranges barely uses:
// nullable structs, tagged structs and flexible arrays.
const SampleSchema: MessageSchema<Sample> = {
  name: "SampleRequest",
  apiKey: 999,
  type: "request",
  validVersions: "0-2",
  flexibleVersions: "2+",
  fields: [
    { name: "id", type: "int32", versions: "0+" },
    { name: "label", type: "string", versions: "1+", nullableVersions: "1+", default: "none" },
    {
      name: "detail",
      type: {
        kind: "struct",
        name: "Detail",
        fields: [
          { name: "code", type: "int16", versions: "0+" },
          { name: "note", type: "string", versions: "0+" },
        ],
      },
      versions: "0+",
      nullableVersions: "0+",
    },
    {
      name: "extra",
      type: { kind: "struct", name: "Extra", fields: [{ name: "count", type: "int32", versions: "0+" }] },
      versions: "2+",
      tag: 0,
      taggedVersions: "2+",
    },
    { name: "items", type: { kind: "array", items: "int32" }, versions: "0+" },
  ],
};

describe("schema codec", () => {
  it("when parsing version ranges, then +, - and none behave like the spec", () => {
    assert.equal(versionInRange("3+", 3), true);
    assert.equal(versionInRange("3+", 2), false);
    assert.equal(versionInRange("1-3", 3), true);
    assert.equal(versionInRange("1-3", 4), false);
    assert.equal(versionInRange("2", 2), true);
    assert.equal(versionInRange("none", 0), false);
    assert.equal(versionInRange(undefined, 0), false);
  });

  it("when a field is undefined, then its default is encoded", () => {
    const partition = { index: 1, errorCode: 0, baseOffset: 5n };
    const omitted = encoded(Apis.Produce.responseSchema, 7, {
      responses: [{ name: "t", partitionResponses: [partition] }],
    });
    const explicit = encoded(Apis.Produce.responseSchema, 7, {
      responses: [{ name: "t", partitionResponses: [{ ...partition, logAppendTimeMs: -1n, logStartOffset: -1n }] }],
      throttleTimeMs: 0,
    });
    assert.deepEqual(omitted, explicit);
  });

  it("when a field is absent in the version, then encode skips it and decode fills the default", () => {
    const bytes = encoded(Apis.Metadata.requestSchema, 3, { topics: [{ name: "a" }], allowAutoTopicCreation: false });
    assert.equal(bytes.toString("hex"), "00000001" + "000161");
    const decoded = decode(Apis.Metadata.requestSchema, 3, new Reader(bytes));
    assert.deepEqual(decoded, {
      topics: [{ topicId: Buffer.alloc(16), name: "a" }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  it("when decoded, then structs of one type share one shape: every field, in schema order, absent ones with their defaults", () => {
    const bytes = encoded(SampleSchema, 0, { id: 7, detail: { code: 1, note: "n" }, items: [1] } as Sample);
    const decoded = decode(SampleSchema, 0, new Reader(bytes));
    assert.deepEqual(Object.keys(decoded), ["id", "label", "detail", "extra", "items"]);
    assert.deepEqual(decoded, {
      id: 7,
      label: "none",
      detail: { code: 1, note: "n" },
      extra: { count: 0 },
      items: [1],
    });
    const again = decode(SampleSchema, 2, new Reader(encoded(SampleSchema, 2, decoded)));
    assert.deepEqual(Object.keys(again), Object.keys(decoded));
  });

  it("when a field is named __proto__, then the schema is refused rather than setting an object's prototype", () => {
    const schema: MessageSchema<unknown> = {
      ...SampleSchema,
      name: "ProtoRequest",
      fields: [{ name: "__proto__", type: "int32", versions: "0+" }],
    };
    assert.throws(() => encoded(schema, 0, {}), /may not be named __proto__/);
  });

  it("when a version is outside the schema's range, then encode and decode refuse it", () => {
    assert.throws(
      () => encoded(Apis.Produce.requestSchema, 8, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [] }),
      UnsupportedVersionError,
    );
    assert.throws(() => decode(Apis.Fetch.requestSchema, 14, new Reader(Buffer.alloc(100))), UnsupportedVersionError);
  });

  it("when a non-nullable field holds null, then encoding fails loudly", () => {
    assert.throws(
      () =>
        encoded(Apis.Heartbeat.requestSchema, 1, {
          groupId: null as unknown as string,
          generationId: 1,
          memberId: "",
          groupInstanceId: null,
        }),
      TypeError,
    );
  });

  it("when records are given as chunks, then they encode like one buffer and are not copied", () => {
    const first = Buffer.alloc(200, 1);
    const second = Buffer.alloc(300, 2);
    const partition = {
      partitionIndex: 0,
      errorCode: 0,
      highWatermark: 1n,
      lastStableOffset: 1n,
      abortedTransactions: null,
    };
    const asChunks = (records: Buffer | Buffer[] | null) =>
      encode(Apis.Fetch.responseSchema, 11, {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [{ topic: "t", partitions: [{ ...partition, records }] }],
      });
    const chunkedWriter = asChunks([first, second]);
    assert.ok(chunkedWriter.chunks().includes(first));
    assert.ok(chunkedWriter.chunks().includes(second));
    assert.deepEqual(chunkedWriter.toBuffer(), asChunks(Buffer.concat([first, second])).toBuffer());
    const decoded = decode(Apis.Fetch.responseSchema, 11, new Reader(asChunks(null).toBuffer()));
    assert.equal(decoded.responses[0]!.partitions[0]!.records, null);
  });

  it("when an array count exceeds the bytes left, then decoding fails instead of allocating", () => {
    const forged = Buffer.from("00000000" + "00000000" + "7fffffff", "hex");
    assert.throws(() => decode(Apis.Produce.requestSchema, 3, new Reader(forged.subarray(2))), ProtocolDecodeError);
    assert.throws(
      () => decode(Apis.Metadata.requestSchema, 0, new Reader(Buffer.from("7fffffff00", "hex"))),
      ProtocolDecodeError,
    );
  });

  it("when a non-nullable array is null on the wire, then decoding fails", () => {
    assert.throws(
      () => decode(Apis.Metadata.requestSchema, 0, new Reader(Buffer.from("ffffffff", "hex"))),
      ProtocolDecodeError,
    );
  });

  it("when a nullable struct is null or present, then a presence byte precedes it", () => {
    const withNull: Sample = { id: 1, label: null, detail: null, extra: { count: 0 }, items: [] };
    assert.equal(encoded(SampleSchema, 1, withNull).toString("hex"), "00000001" + "ffff" + "ff" + "00000000");
    const present: Sample = { id: 1, label: "x", detail: { code: 2, note: "n" }, extra: { count: 0 }, items: [3] };
    const bytes = encoded(SampleSchema, 1, present);
    assert.equal(bytes.toString("hex"), "00000001" + "000178" + "01" + "0002" + "00016e" + "00000001" + "00000003");
    assert.deepEqual(decode(SampleSchema, 1, new Reader(bytes)), present);
  });

  it("when a tagged struct equals its default, then it is left out of the tag section", () => {
    const atDefault: Sample = { id: 1, label: "x", detail: null, extra: { count: 0 }, items: [3] };
    assert.equal(encoded(SampleSchema, 2, atDefault).toString("hex"), "00000001" + "0278" + "ff" + "0200000003" + "00");
    // A flexible struct ends with its own (empty) tag section: 5 bytes in all.
    const set: Sample = { ...atDefault, extra: { count: 5 } };
    const bytes = encoded(SampleSchema, 2, set);
    assert.equal(
      bytes.toString("hex"),
      "00000001" + "0278" + "ff" + "0200000003" + "01" + "00" + "05" + "00000005" + "00",
    );
    assert.deepEqual(decode(SampleSchema, 2, new Reader(bytes)), set);
  });

  it("when a field has a spec default and is absent, then decode fills that default", () => {
    const decoded = decode(SampleSchema, 0, new Reader(Buffer.from("00000007" + "ff" + "00000000", "hex")));
    assert.deepEqual(decoded, { id: 7, label: "none", detail: null, extra: { count: 0 }, items: [] });
  });

  it("when asking for a default value, then every field holds its default", () => {
    assert.deepEqual(defaultValue(Apis.Fetch.requestSchema, 11), {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 0x7fffffff,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [],
      forgottenTopicsData: [],
      rackId: "",
    });
  });
});
