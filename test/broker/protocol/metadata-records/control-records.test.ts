import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ControlRecordType,
  decodeControlRecordKey,
  decodeLeaderChangeMessage,
  encodeControlRecordKey,
  encodeLeaderChangeMessage,
} from "../../../../broker/protocol/metadata-records/control-records.ts";
import { ProtocolDecodeError } from "../../../../broker/protocol/primitives.ts";
import { hex } from "../messages/wire-bytes.ts";

describe("control records", () => {
  it("when a leader change key is written, then it is int16 version 0 and int16 type 2", () => {
    assert.equal(encodeControlRecordKey(ControlRecordType.LEADER_CHANGE).toString("hex"), "00000002");
    assert.deepEqual(decodeControlRecordKey(hex("00000002")), { version: 0, type: 2 });
  });

  it("when a key has a newer version, then its type is still read; a negative version or short key is damage", () => {
    assert.deepEqual(decodeControlRecordKey(hex("0001 0001 ffff")), { version: 1, type: 1 });
    assert.throws(() => decodeControlRecordKey(hex("ffff0002")), ProtocolDecodeError);
    assert.throws(() => decodeControlRecordKey(hex("0000 00")), ProtocolDecodeError);
  });

  it("when a LeaderChangeMessage is written, then it is the flexible v0 body: version, leader, voters, granting voters", () => {
    const message = {
      version: 0,
      leaderId: 1,
      voters: [{ voterId: 0 }, { voterId: 1 }, { voterId: 2 }],
      grantingVoters: [{ voterId: 1 }, { voterId: 2 }],
    };
    const expected = hex(`
      0000 00000001
      04 00000000 00 00000001 00 00000002 00
      03 00000001 00 00000002 00
      00`);
    assert.equal(encodeLeaderChangeMessage(message).toString("hex"), expected.toString("hex"));
    assert.deepEqual(decodeLeaderChangeMessage(expected), message);
  });

  it("when a LeaderChangeMessage is truncated or has bytes left over, then decoding fails with a decode error", () => {
    const whole = encodeLeaderChangeMessage({ version: 0, leaderId: 0, voters: [{ voterId: 0 }], grantingVoters: [] });
    assert.throws(() => decodeLeaderChangeMessage(whole.subarray(0, whole.length - 1)), ProtocolDecodeError);
    assert.throws(() => decodeLeaderChangeMessage(Buffer.concat([whole, hex("00")])), ProtocolDecodeError);
  });
});
