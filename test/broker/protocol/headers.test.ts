import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Apis } from "../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import {
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeResponseFrame,
  peekApiKeyAndVersion,
  readRequestHeader,
} from "../../../broker/protocol/headers.ts";
import { ProtocolDecodeError } from "../../../broker/protocol/primitives.ts";
import { decode } from "../../../broker/protocol/schema.ts";

/** Joins commented hex lines: "0012 // api key" → "0012". */
function fixture(text: string): Buffer {
  const hexDigits = text
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, ""))
    .join("")
    .replace(/\s+/g, "");
  return Buffer.from(hexDigits, "hex");
}

function joined(chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks);
}

/** A frame without its int32 size prefix, as the server hands it to the decoder. */
function payloadOf(frame: Buffer): Buffer {
  assert.equal(frame.readInt32BE(0), frame.length - 4, "size prefix counts the bytes after it");
  return frame.subarray(4);
}

describe("ApiVersions v0 (header v1 request, header v0 response)", () => {
  const request = fixture(`
    0000000c  // size: 12 bytes follow
    0012      // request_api_key: 18
    0000      // request_api_version: 0
    00000001  // correlation_id: 1
    0002 6162 // client_id: int16 length 2, "ab"
              // body: no fields in v0
  `);
  const response = fixture(`
    00000016  // size: 22 bytes follow
    00000001  // correlation_id: 1 (response header v0)
    0000      // error_code: 0
    00000002  // api_keys: int32 count 2
    0012 0000 0003 // api_key 18, min 0, max 3
    0003 0000 0006 // api_key 3, min 0, max 6
  `);

  it("when the client encodes the request, then the bytes match the spec", () => {
    const frame = joined(
      encodeRequest(Apis.ApiVersions, 0, 1, "ab", { clientSoftwareName: "", clientSoftwareVersion: "" }),
    );
    assert.deepEqual(frame, request);
  });

  it("when the server reads the request, then header and empty body decode", () => {
    const { header, bodyReader } = readRequestHeader(payloadOf(request));
    assert.deepEqual(header, { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: "ab" });
    const body = decode(Apis.ApiVersions.requestSchema, 0, bodyReader);
    assert.deepEqual(body, { clientSoftwareName: "", clientSoftwareVersion: "" });
    assert.equal(bodyReader.remaining, 0);
  });

  it("when the server encodes the response, then the bytes match the spec", () => {
    const body = {
      errorCode: 0,
      apiKeys: [
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
        { apiKey: 3, minVersion: 0, maxVersion: 6 },
      ],
    };
    assert.deepEqual(joined(encodeResponse(Apis.ApiVersions, 0, 1, body)), response);
    const decoded = decodeResponse(Apis.ApiVersions, 0, payloadOf(response));
    assert.equal(decoded.correlationId, 1);
    assert.deepEqual(decoded.body.apiKeys, body.apiKeys);
  });
});

describe("Metadata v1 request with a null topic list", () => {
  const request = fixture(`
    0000000e  // size: 14
    0003      // request_api_key: 3
    0001      // request_api_version: 1
    00000007  // correlation_id: 7
    ffff      // client_id: null
    ffffffff  // topics: null array (= all topics from v1)
  `);

  it("when decoded, then topics is null and v4's allowAutoTopicCreation gets its default", () => {
    const { header, bodyReader } = readRequestHeader(payloadOf(request));
    assert.deepEqual(header, { apiKey: 3, apiVersion: 1, correlationId: 7, clientId: null });
    assert.deepEqual(decode(Apis.Metadata.requestSchema, 1, bodyReader), {
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  it("when encoded, then the bytes match", () => {
    assert.deepEqual(
      joined(encodeRequest(Apis.Metadata, 1, 7, null, { topics: null, allowAutoTopicCreation: true })),
      request,
    );
  });
});

describe("ApiVersions v3 (flexible: request header v2, response header still v0)", () => {
  const request = fixture(`
    00000015  // size: 21
    0012      // request_api_key: 18
    0003      // request_api_version: 3
    00000005  // correlation_id: 5
    0001 63   // client_id: stays an int16-length string in header v2, "c"
    00        // header tagged fields: none
    04 6b6a73 // client_software_name: compact string, uvarint 3+1, "kjs"
    04 322e32 // client_software_version: compact string, "2.2"
    00        // body tagged fields: none
  `);

  it("when the client encodes the request, then the bytes match", () => {
    const frame = joined(
      encodeRequest(Apis.ApiVersions, 3, 5, "c", { clientSoftwareName: "kjs", clientSoftwareVersion: "2.2" }),
    );
    assert.deepEqual(frame, request);
  });

  it("when the request carries unknown tagged fields, then they are skipped", () => {
    const withTags = fixture(`
      0012 0003 00000005 0001 63
      01 00 02 abcd  // header tagged fields: 1 field, tag 0, size 2 (unknown to us)
      04 6b6a73 04 322e32
      02             // body tagged fields: 2 fields
      05 01 ff       //   tag 5, size 1
      07 00          //   tag 7, size 0
    `);
    const { header, bodyReader } = readRequestHeader(withTags);
    assert.deepEqual(header, { apiKey: 18, apiVersion: 3, correlationId: 5, clientId: "c" });
    const body = decode(Apis.ApiVersions.requestSchema, 3, bodyReader);
    assert.deepEqual(body, { clientSoftwareName: "kjs", clientSoftwareVersion: "2.2" });
    assert.equal(bodyReader.remaining, 0);
  });

  it("when the server answers, then the header has no tagged fields and defaults stay out of the tag section", () => {
    const expected = fixture(`
      00000016       // size: 22
      00000005       // correlation_id (response header v0, even for v3)
      0000           // error_code: 0
      02             // api_keys: compact array, 1+1
      0012 0000 0003 // api_key 18, min 0, max 3
      00             //   item tagged fields: none
      00000000       // throttle_time_ms: 0
      01             // tagged fields: 1 (supported/finalized features and epoch are at their defaults)
      03 01 01       //   tag 3 zk_migration_ready, size 1, true
    `);
    const frame = encodeResponse(Apis.ApiVersions, 3, 5, {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
      zkMigrationReady: true,
    });
    assert.deepEqual(joined(frame), expected);
    const decoded = decodeResponse(Apis.ApiVersions, 3, payloadOf(expected)).body;
    assert.equal(decoded.zkMigrationReady, true);
    assert.equal(decoded.finalizedFeaturesEpoch, -1n);
    assert.deepEqual(decoded.supportedFeatures, []);
  });
});

describe("Heartbeat v1", () => {
  const request = fixture(`
    00000015  // size: 21
    000c      // request_api_key: 12
    0001      // request_api_version: 1
    00000009  // correlation_id: 9
    0001 63   // client_id: "c"
    0001 67   // group_id: "g"
    00000002  // generation_id: 2
    0001 6d   // member_id: "m"
  `);
  const response = fixture(`
    0000000a  // size: 10
    00000009  // correlation_id: 9
    00000000  // throttle_time_ms: 0
    001b      // error_code: 27 REBALANCE_IN_PROGRESS
  `);

  it("when the request is decoded, then v3's group instance id is null", () => {
    const { header, bodyReader } = readRequestHeader(payloadOf(request));
    assert.deepEqual(header, { apiKey: 12, apiVersion: 1, correlationId: 9, clientId: "c" });
    assert.deepEqual(decode(Apis.Heartbeat.requestSchema, 1, bodyReader), {
      groupId: "g",
      generationId: 2,
      memberId: "m",
      groupInstanceId: null,
    });
  });

  it("when the request and response are encoded, then the bytes match", () => {
    const body = { groupId: "g", generationId: 2, memberId: "m", groupInstanceId: null };
    assert.deepEqual(joined(encodeRequest(Apis.Heartbeat, 1, 9, "c", body)), request);
    const frame = encodeResponse(Apis.Heartbeat, 1, 9, {
      throttleTimeMs: 0,
      errorCode: ErrorCode.REBALANCE_IN_PROGRESS,
    });
    assert.deepEqual(joined(frame), response);
  });
});

describe("frames", () => {
  it("when a request is shorter than api key and version, then peeking fails with a decode error", () => {
    assert.throws(() => peekApiKeyAndVersion(Buffer.from([0, 1, 0])), ProtocolDecodeError);
    assert.deepEqual(peekApiKeyAndVersion(Buffer.from("00120003", "hex")), { apiKey: 18, apiVersion: 3 });
  });

  it("when a response body holds record chunks, then the frame reuses them and its size covers them", () => {
    const records = Buffer.alloc(500, 1);
    const chunks = encodeResponse(Apis.Fetch, 4, 3, {
      throttleTimeMs: 0,
      responses: [
        {
          topic: "t",
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: 10n,
              lastStableOffset: 10n,
              abortedTransactions: [],
              records: [records, records],
            },
          ],
        },
      ],
    });
    assert.equal(chunks.filter((chunk) => chunk === records).length, 2);
    const frame = joined(chunks);
    const decoded = decodeResponse(Apis.Fetch, 4, payloadOf(frame));
    assert.equal(decoded.correlationId, 3);
    assert.deepEqual(decoded.body.responses[0]!.partitions[0]!.records, Buffer.concat([records, records]));
  });

  it("when a flexible response frame is built, then header v1 adds an empty tag section", () => {
    const frame = joined(encodeResponseFrame(42, 1, (writer) => writer.int16(0)));
    assert.equal(frame.toString("hex"), "00000007" + "0000002a" + "00" + "0000");
  });
});
