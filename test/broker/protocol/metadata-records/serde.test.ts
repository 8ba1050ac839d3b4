import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { METADATA_RECORD_SCHEMAS } from "../../../../broker/protocol/metadata-records/records/index.ts";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  latestVersion,
  type MetadataRecord,
  type MetadataRecordType,
  metadataRecord,
} from "../../../../broker/protocol/metadata-records/serde.ts";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { versionInRange } from "../../../../broker/protocol/schema.ts";
import { hex } from "../messages/wire-bytes.ts";
import { sampleMessage } from "../sample-values.ts";

const topicId = hex("0123456789abcdef0123456789abcdef");

function assertFramed(record: MetadataRecord, expected: Buffer): void {
  assert.equal(encodeMetadataRecord(record).toString("hex"), expected.toString("hex"));
  assert.deepEqual(decodeMetadataRecord(expected), record);
}

describe("metadata record framing", () => {
  it("when a TopicRecord is framed, then frame version 1, type 2 and version 0 precede its flexible body", () => {
    assertFramed(
      { type: "TopicRecord", version: 0, data: { name: "t", topicId } },
      hex("01 02 00  02 74  0123456789abcdef0123456789abcdef  00"),
    );
  });

  it("when a PartitionRecord is framed, then its replica lists are compact arrays and null lists the compact null", () => {
    assertFramed(
      {
        type: "PartitionRecord",
        version: 0,
        data: {
          partitionId: 1,
          topicId,
          replicas: [1, 2],
          isr: [2],
          removingReplicas: null,
          addingReplicas: [],
          leader: 2,
          leaderEpoch: 0,
          partitionEpoch: 0,
        },
      },
      hex(`
        01 03 00
        00000001 0123456789abcdef0123456789abcdef
        03 00000001 00000002
        02 00000002
        00
        01
        00000002 00000000 00000000
        00`),
    );
  });

  /** KIP-455's fields of a PartitionChangeRecord that moves no replica, as decoding gives them. */
  const noReassignment = { replicas: null, removingReplicas: null, addingReplicas: null };

  it("when a PartitionChangeRecord changes ISR and leader, then both are tagged fields in tag order", () => {
    assertFramed(
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: { partitionId: 1, topicId, isr: [1, 2], leader: 2, ...noReassignment },
      },
      hex(`
        01 05 00
        00000001 0123456789abcdef0123456789abcdef
        02
          00 09 03 00000001 00000002
          01 04 00000002`),
    );
  });

  it("when a PartitionChangeRecord changes nothing tagged, then the tagged section is empty and decoding gives the no-change defaults", () => {
    const bytes = hex("01 05 00  00000001 0123456789abcdef0123456789abcdef  00");
    assertFramed(
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: { partitionId: 1, topicId, isr: null, leader: -2, ...noReassignment },
      },
      bytes,
    );
  });

  it("when a PartitionChangeRecord moves the replicas, then replicas, removing and adding replicas are tagged fields 2, 3 and 4", () => {
    assertFramed(
      {
        type: "PartitionChangeRecord",
        version: 0,
        data: {
          partitionId: 1,
          topicId,
          isr: null,
          leader: -2,
          replicas: [2, 3, 1],
          removingReplicas: [1],
          addingReplicas: [3],
        },
      },
      hex(`
        01 05 00
        00000001 0123456789abcdef0123456789abcdef
        03
          02 0d 04 00000002 00000003 00000001
          03 05 02 00000001
          04 05 02 00000003`),
    );
  });

  it("when every record type is framed in each of its versions, then it decodes to the same record", () => {
    for (const [type, schema] of Object.entries(METADATA_RECORD_SCHEMAS)) {
      for (let version = 0; version <= latestVersion(type as MetadataRecordType); version++) {
        assert.ok(versionInRange(schema.validVersions, version));
        for (const nulls of [false, true]) {
          const record = { type, version, data: sampleMessage(schema, version, { nulls }) } as MetadataRecord;
          assert.deepEqual(decodeMetadataRecord(encodeMetadataRecord(record)), record, `${type} v${version}`);
        }
      }
    }
  });

  it("when a record is built with metadataRecord, then it takes the newest version of its type", () => {
    const record = metadataRecord("RegisterBrokerRecord", {
      brokerId: 1,
      isMigratingZkBroker: false,
      incarnationId: topicId,
      brokerEpoch: 5n,
      endPoints: [{ name: "PLAINTEXT", host: "h", port: 9092, securityProtocol: 0 }],
      features: [],
      rack: null,
      fenced: true,
      inControlledShutdown: false,
      logDirs: [],
    });
    assert.equal(record.version, 3);
    assert.equal(latestVersion("TopicRecord"), 0);
    assert.deepEqual(decodeMetadataRecord(encodeMetadataRecord(record)), record);
  });

  it("when the frame version, record type or record version is unknown, then decoding fails with a decode error", () => {
    assert.throws(() => decodeMetadataRecord(hex("00 02 00 02 74")), ProtocolDecodeError);
    assert.throws(() => decodeMetadataRecord(hex("02 02 00 02 74")), ProtocolDecodeError);
    assert.throws(() => decodeMetadataRecord(hex("01 63 00")), /unknown metadata record type 99/);
    assert.throws(() => decodeMetadataRecord(hex("01 02 01 02 74")), /TopicRecord has no version 1/);
  });

  it("when a record is truncated, has bytes left over, or claims more items than it holds, then decoding fails with a decode error", () => {
    const whole = encodeMetadataRecord({ type: "TopicRecord", version: 0, data: { name: "t", topicId } });
    for (let length = 0; length < whole.length; length++) {
      assert.throws(() => decodeMetadataRecord(whole.subarray(0, length)), ProtocolDecodeError, `length ${length}`);
    }
    assert.throws(() => decodeMetadataRecord(Buffer.concat([whole, hex("00")])), /leaves 1 bytes unread/);
    // A PartitionRecord whose replica list claims 2^28 items in a few bytes.
    assert.throws(
      () => decodeMetadataRecord(hex("01 03 00 00000001 0123456789abcdef0123456789abcdef 8080808001")),
      ProtocolDecodeError,
    );
  });
});
