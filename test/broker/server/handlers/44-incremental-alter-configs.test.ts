import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { AlterConfigsOptions, ConfigResourceChange } from "../../../../broker/controller/config-control.ts";
import { ControllerError } from "../../../../broker/controller/controller-result.ts";
import type { QuorumController } from "../../../../broker/controller/quorum-controller.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type {
  IncrementalAlterConfigsRequest,
  IncrementalAlterConfigsRequestAlterableConfig,
} from "../../../../broker/protocol/messages/index.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { brokerDefaults } from "../../../../broker/server/config.ts";
import { incrementalAlterConfigsHandler } from "../../../../broker/server/handlers/44-incremental-alter-configs.ts";
import { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

const TOPIC = 2;
const BROKER = 4;
const { SET, DELETE, APPEND, SUBTRACT } = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

/** A broker whose forwarding runs the request at `controller` here, or, without one, gives the refusal's answer. */
function brokerWith(controller: Partial<QuorumController> | undefined, props: Record<string, string> = {}) {
  const route = (
    _api: unknown,
    _request: unknown,
    local: (c: QuorumController) => Promise<unknown>,
    refusal: { answer: (errorCode: number, message: string) => unknown },
  ) =>
    controller
      ? local(controller as QuorumController)
      : Promise.resolve(refusal.answer(ErrorCode.REQUEST_TIMED_OUT, "no controller"));
  return {
    config: { host: "127.0.0.1", port: 0, nodeId: 0, dataDir: "/unused", props: new Map(Object.entries(props)) },
    kraft: { forwarding: { route } },
  } as unknown as BrokerState;
}

const context = (broker: BrokerState) => ({ broker, apiVersion: 1, clientId: "test", clientHost: "127.0.0.1" });

const request: IncrementalAlterConfigsRequest = {
  validateOnly: false,
  resources: [
    {
      resourceType: TOPIC,
      resourceName: "orders",
      configs: [
        { name: "retention.ms", configOperation: DELETE, value: null },
        { name: "cleanup.policy", configOperation: APPEND, value: "compact" },
      ],
    },
    {
      resourceType: BROKER,
      resourceName: "0",
      configs: [{ name: "log.cleanup.policy", configOperation: SUBTRACT, value: "delete" }],
    },
  ],
};

describe("IncrementalAlterConfigs handler", () => {
  it("when it runs at the controller, then each config keeps its own operation, the resource's others stay, and effective values come from this broker's config and the image", async () => {
    const asked: [ConfigResourceChange[], AlterConfigsOptions][] = [];
    const image = MetadataImage.EMPTY.with({
      topicConfigs: new Map([["orders", new Map([["cleanup.policy", "delete"]])]]),
    });
    const controller = {
      image,
      alterConfigs: async (resources: ConfigResourceChange[], options: AlterConfigsOptions) => {
        asked.push([resources, options]);
        return resources.map(({ resourceType, resourceName }) => ({
          resourceType,
          resourceName,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
        }));
      },
    };
    const broker = brokerWith(controller, { "log.cleanup.policy": "compact" });
    const response = await incrementalAlterConfigsHandler.handle(request, context(broker));
    assert.deepEqual(
      response?.responses.map((r) => [r.resourceType, r.resourceName, r.errorCode]),
      [
        [TOPIC, "orders", ErrorCode.NONE],
        [BROKER, "0", ErrorCode.NONE],
      ],
    );
    const [[resources, options]] = asked as [[ConfigResourceChange[], AlterConfigsOptions]];
    assert.deepEqual(resources, [
      {
        resourceType: TOPIC,
        resourceName: "orders",
        configs: [
          { name: "retention.ms", op: DELETE, value: null },
          { name: "cleanup.policy", op: APPEND, value: "compact" },
        ],
      },
      {
        resourceType: BROKER,
        resourceName: "0",
        configs: [{ name: "log.cleanup.policy", op: SUBTRACT, value: "delete" }],
      },
    ]);
    assert.deepEqual([options.validateOnly, options.replaceAll], [false, false]);
    assert.equal(options.effectiveValue(TOPIC, "orders", "cleanup.policy"), "delete");
    assert.equal(options.effectiveValue(BROKER, "0", "log.cleanup.policy"), "compact");
  });

  it("when the controller fails the request or cannot be reached, then every resource carries the error, in order", async () => {
    const failing = {
      image: MetadataImage.EMPTY,
      alterConfigs: () => Promise.reject(new ControllerError(ErrorCode.NOT_CONTROLLER)),
    };
    const everywhere = (errorCode: number, errorMessage: string | null) => ({
      throttleTimeMs: 0,
      responses: [
        { resourceType: TOPIC, resourceName: "orders", errorCode, errorMessage },
        { resourceType: BROKER, resourceName: "0", errorCode, errorMessage },
      ],
    });
    assert.deepEqual(
      await incrementalAlterConfigsHandler.handle(request, context(brokerWith(failing))),
      everywhere(ErrorCode.NOT_CONTROLLER, null),
    );
    assert.deepEqual(
      await incrementalAlterConfigsHandler.handle(request, context(brokerWith(undefined))),
      everywhere(ErrorCode.REQUEST_TIMED_OUT, "no controller"),
    );
  });
});

describe("IncrementalAlterConfigs on a broker", () => {
  const broker = useBroker();
  const client = useWireClient(broker);
  const alter = async (configs: IncrementalAlterConfigsRequestAlterableConfig[], validateOnly = false) =>
    (
      await client.request(Apis.IncrementalAlterConfigs, 1, {
        resources: [{ resourceType: TOPIC, resourceName: "tuned", configs }],
        validateOnly,
      })
    ).responses;
  const described = async (...names: string[]) => {
    const { results } = await client.request(Apis.DescribeConfigs, 1, {
      resources: [{ resourceType: TOPIC, resourceName: "tuned", configurationKeys: names }],
      includeSynonyms: false,
    });
    const byName = new Map(results[0]!.configs.map((c) => [c.name, c.value]));
    return names.map((name) => byName.get(name));
  };

  before(async () => {
    const created = await client.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([{ name: "tuned", numPartitions: 1 }]),
    );
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
  });

  it("when configs are set, appended to and deleted in turn, then only the named ones change, APPEND adds no duplicate and DELETE goes back to the default", async () => {
    const set = await alter([
      { name: "retention.ms", configOperation: SET, value: "1000" },
      { name: "segment.ms", configOperation: SET, value: "5000" },
      { name: "cleanup.policy", configOperation: SET, value: "compact" },
    ]);
    assert.deepEqual(
      set.map((r) => r.errorCode),
      [ErrorCode.NONE],
    );
    // This broker's logs take one policy, so "compact,compact" would be refused: APPEND keeps the list's items unique.
    const appended = await alter([{ name: "cleanup.policy", configOperation: APPEND, value: "compact" }]);
    assert.deepEqual([appended[0]?.errorCode, appended[0]?.errorMessage], [ErrorCode.NONE, null]);
    assert.deepEqual(await described("retention.ms", "segment.ms", "cleanup.policy"), ["1000", "5000", "compact"]);
    await alter([{ name: "retention.ms", configOperation: DELETE, value: null }]);
    assert.deepEqual(await described("retention.ms", "segment.ms", "cleanup.policy"), [
      brokerDefaults["log.retention.ms"],
      "5000",
      "compact",
    ]);
  });

  it("when the request only validates or a value is invalid, then nothing changes", async () => {
    await alter([{ name: "flush.messages", configOperation: SET, value: "10" }]);
    const validated = await alter([{ name: "flush.messages", configOperation: SET, value: "20" }], true);
    assert.equal(validated[0]?.errorCode, ErrorCode.NONE);
    const invalid = await alter([{ name: "flush.messages", configOperation: SET, value: "many" }]);
    assert.equal(invalid[0]?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.deepEqual(await described("flush.messages"), ["10"]);
  });
});
