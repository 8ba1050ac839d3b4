import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AlterConfigsOptions,
  alterConfigs,
  type ConfigChange,
} from "../../../broker/controller/config-control.ts";
import { ErrorCode } from "../../../broker/protocol/errors.ts";
import { decodeMetadataRecord, encodeMetadataRecord } from "../../../broker/protocol/metadata-records/serde.ts";
import type { MetadataImage } from "../../../broker/server/metadata/metadata-image.ts";
import { clusterOf, commit, withTopic } from "./cluster-fixture.ts";

const TOPIC = 2;
const BROKER = 4;
const { SET, DELETE, APPEND, SUBTRACT } = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

const incremental: AlterConfigsOptions = {
  validateOnly: false,
  replaceAll: false,
  effectiveValue: (_type, _name, config) => (config === "cleanup.policy" ? "delete" : ""),
};

function alterTopic(image: MetadataImage, configs: ConfigChange[], options = incremental) {
  return alterConfigs(image, [{ resourceType: TOPIC, resourceName: "orders", configs }], options);
}

const ordersImage = () => withTopic(clusterOf([1, 2, 3]), "orders", [[1, 2, 3]], { "retention.ms": "1000" });

describe("alterConfigs at the controller", () => {
  it("when a topic config is set and another deleted, then ConfigRecords say so and the image carries them", () => {
    const image = ordersImage();
    const { records, response } = alterTopic(image, [
      { name: "max.message.bytes", op: SET, value: "2048" },
      { name: "retention.ms", op: DELETE, value: null },
    ]);
    assert.deepEqual(
      response.map((r) => [r.resourceName, r.errorCode]),
      [["orders", ErrorCode.NONE]],
    );
    const after = commit(image, records);
    assert.equal(after.topicConfig("orders", "max.message.bytes"), "2048");
    assert.equal(after.topicConfig("orders", "retention.ms"), undefined);
  });

  it("when a config is deleted, then its record has a null value that survives the metadata log's encoding", () => {
    const { records } = alterTopic(ordersImage(), [{ name: "retention.ms", op: DELETE, value: null }]);
    assert.equal(records.length, 1);
    const decoded = decodeMetadataRecord(encodeMetadataRecord(records[0]!));
    assert.deepEqual(decoded.data, { resourceType: TOPIC, resourceName: "orders", name: "retention.ms", value: null });
  });

  it("when AlterConfigs (not incremental) names some configs, then the topic's others are removed", () => {
    const image = ordersImage();
    const { records } = alterTopic(image, [{ name: "segment.bytes", op: SET, value: "1048576" }], {
      ...incremental,
      replaceAll: true,
    });
    const after = commit(image, records);
    assert.deepEqual([...(after.topicConfigs.get("orders") ?? [])], [["segment.bytes", "1048576"]]);
  });

  it("when validateOnly, then the answer is given and no records", () => {
    const { records, response } = alterTopic(ordersImage(), [{ name: "retention.ms", op: SET, value: "5" }], {
      ...incremental,
      validateOnly: true,
    });
    assert.equal(response[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(records, []);
  });

  it("when names or values are invalid, then INVALID_CONFIG with a message naming them, and nothing of that resource changes", () => {
    const cases: [ConfigChange[], number, RegExp][] = [
      [[{ name: "retention.mss", op: SET, value: "1" }], ErrorCode.INVALID_CONFIG, /retention\.mss/],
      [[{ name: "retention.ms", op: SET, value: "1h" }], ErrorCode.INVALID_CONFIG, /retention\.ms/],
      [[{ name: "segment.bytes", op: SET, value: "10" }], ErrorCode.INVALID_CONFIG, /segment\.bytes/],
      [[{ name: "min.insync.replicas", op: SET, value: "0" }], ErrorCode.INVALID_CONFIG, /min\.insync\.replicas/],
      [[{ name: "retention.ms", op: APPEND, value: "1" }], ErrorCode.INVALID_CONFIG, /append is not allowed/],
      [[{ name: "retention.ms", op: SET, value: null }], ErrorCode.INVALID_REQUEST, /Null value/],
      [[{ name: "retention.ms", op: 9, value: "1" }], ErrorCode.INVALID_REQUEST, /operation 9/],
      [
        [
          { name: "retention.ms", op: SET, value: "1" },
          { name: "retention.ms", op: SET, value: "2" },
        ],
        ErrorCode.INVALID_REQUEST,
        /duplicate/,
      ],
      [
        [
          { name: "segment.ms", op: SET, value: "100" },
          { name: "cleanup.policy", op: SET, value: "shred" },
        ],
        ErrorCode.INVALID_CONFIG,
        /cleanup\.policy/,
      ],
    ];
    for (const [configs, errorCode, message] of cases) {
      const { records, response } = alterTopic(ordersImage(), configs);
      assert.equal(response[0]!.errorCode, errorCode, JSON.stringify(configs));
      assert.match(response[0]!.errorMessage!, message);
      assert.deepEqual(records, []);
    }
  });

  it("when APPEND and SUBTRACT change a list config, then they start from its effective value", () => {
    const image = ordersImage();
    const appended = alterTopic(image, [{ name: "cleanup.policy", op: APPEND, value: "delete" }]);
    assert.equal(commit(image, appended.records).topicConfig("orders", "cleanup.policy"), "delete");
    const compacted = commit(image, alterTopic(image, [{ name: "cleanup.policy", op: SET, value: "compact" }]).records);
    const emptied = alterTopic(compacted, [{ name: "cleanup.policy", op: SUBTRACT, value: "compact" }]);
    assert.equal(emptied.response[0]!.errorCode, ErrorCode.INVALID_CONFIG, "an empty cleanup.policy is no policy");
  });

  it("when a topic does not exist or the resource type is unknown, then each resource gets its own error, in order", () => {
    const { response } = alterConfigs(
      ordersImage(),
      [
        { resourceType: TOPIC, resourceName: "missing", configs: [{ name: "retention.ms", op: SET, value: "1" }] },
        { resourceType: 8, resourceName: "1", configs: [] },
        { resourceType: TOPIC, resourceName: "orders", configs: [{ name: "retention.ms", op: SET, value: "7" }] },
      ],
      incremental,
    );
    assert.deepEqual(
      response.map((r) => r.errorCode),
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.NONE],
    );
  });

  it("when a broker config is altered, then dynamic ones are recorded for that broker or cluster-wide, a non-dynamic one is INVALID_REQUEST and an unknown one INVALID_CONFIG", () => {
    const image = clusterOf([1, 2]);
    const { records, response } = alterConfigs(
      image,
      [
        { resourceType: BROKER, resourceName: "1", configs: [{ name: "log.retention.ms", op: SET, value: "60000" }] },
        { resourceType: BROKER, resourceName: "", configs: [{ name: "message.max.bytes", op: SET, value: "2000" }] },
        { resourceType: BROKER, resourceName: "2", configs: [{ name: "num.partitions", op: SET, value: "3" }] },
        { resourceType: BROKER, resourceName: "2", configs: [{ name: "log.retention.mss", op: SET, value: "3" }] },
      ],
      incremental,
    );
    assert.deepEqual(
      response.map((r) => r.errorCode),
      [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST],
      "the same resource twice in one request is refused",
    );
    assert.match(response[2]!.errorMessage!, /duplicate/);
    const after = commit(image, records);
    assert.equal(after.brokerConfigs.get("1")?.get("log.retention.ms"), "60000");
    assert.equal(after.brokerConfigs.get("")?.get("message.max.bytes"), "2000");

    const separately = (name: string) =>
      alterConfigs(
        image,
        [{ resourceType: BROKER, resourceName: "2", configs: [{ name, op: SET, value: "3" }] }],
        incremental,
      ).response[0]!;
    assert.equal(separately("num.partitions").errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(separately("num.partitions").errorMessage!, /Cannot update these configs dynamically/);
    assert.equal(separately("log.retention.mss").errorCode, ErrorCode.INVALID_CONFIG);
    const badValue = alterConfigs(
      image,
      [{ resourceType: BROKER, resourceName: "", configs: [{ name: "log.retention.ms", op: SET, value: "soon" }] }],
      incremental,
    ).response[0]!;
    assert.equal(badValue.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(badValue.errorMessage!, /Invalid value soon for configuration log\.retention\.ms/);
  });
});
