import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { AlterConfigsOptions, ConfigResourceChange } from "../../../../broker/controller/config-control.ts";
import { ControllerError } from "../../../../broker/controller/controller-result.ts";
import type { QuorumController } from "../../../../broker/controller/quorum-controller.ts";
import { Apis } from "../../../../broker/protocol/apis.ts";
import { ErrorCode } from "../../../../broker/protocol/errors.ts";
import type { AlterConfigsRequest } from "../../../../broker/protocol/messages/index.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { brokerDefaults } from "../../../../broker/server/config.ts";
import { alterConfigsHandler } from "../../../../broker/server/handlers/33-alter-configs.ts";
import { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import { useBroker } from "../../../helpers/broker-process.ts";
import { createTopicsRequest } from "../../../helpers/requests.ts";
import { useWireClient } from "../../../helpers/wire-client.ts";

const TOPIC = 2;
const BROKER = 4;
const SET = 0;

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

const request: AlterConfigsRequest = {
  validateOnly: true,
  resources: [
    { resourceType: TOPIC, resourceName: "orders", configs: [{ name: "retention.ms", value: "1000" }] },
    { resourceType: BROKER, resourceName: "", configs: [{ name: "log.cleanup.policy", value: "compact" }] },
  ],
};

describe("AlterConfigs handler", () => {
  it("when it runs at the controller, then every config is a SET replacing the resource's others, validateOnly is passed on, and effective values come from the controller's image", async () => {
    const asked: [ConfigResourceChange[], AlterConfigsOptions][] = [];
    const image = MetadataImage.EMPTY.with({
      brokerConfigs: new Map([["", new Map([["log.cleanup.policy", "compact"]])]]),
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
    const response = await alterConfigsHandler.handle(request, context(brokerWith(controller)));
    assert.deepEqual(response, {
      throttleTimeMs: 0,
      responses: [
        { resourceType: TOPIC, resourceName: "orders", errorCode: ErrorCode.NONE, errorMessage: null },
        { resourceType: BROKER, resourceName: "", errorCode: ErrorCode.NONE, errorMessage: null },
      ],
    });
    const [[resources, options]] = asked as [[ConfigResourceChange[], AlterConfigsOptions]];
    assert.deepEqual(resources, [
      { resourceType: TOPIC, resourceName: "orders", configs: [{ name: "retention.ms", op: SET, value: "1000" }] },
      { resourceType: BROKER, resourceName: "", configs: [{ name: "log.cleanup.policy", op: SET, value: "compact" }] },
    ]);
    assert.deepEqual([options.validateOnly, options.replaceAll], [true, true]);
    // The image's cluster-wide value, not the built-in default.
    assert.equal(options.effectiveValue(BROKER, "0", "log.cleanup.policy"), "compact");
  });

  it("when the controller fails the request or cannot be reached, then every resource carries the error, in order", async () => {
    const failing = {
      image: MetadataImage.EMPTY,
      alterConfigs: () => Promise.reject(new ControllerError(ErrorCode.NOT_CONTROLLER)),
    };
    const bug = { image: MetadataImage.EMPTY, alterConfigs: () => Promise.reject(new Error("bug")) };
    const everywhere = (errorCode: number, errorMessage: string | null) => ({
      throttleTimeMs: 0,
      responses: [
        { resourceType: TOPIC, resourceName: "orders", errorCode, errorMessage },
        { resourceType: BROKER, resourceName: "", errorCode, errorMessage },
      ],
    });
    assert.deepEqual(
      await alterConfigsHandler.handle(request, context(brokerWith(failing))),
      everywhere(ErrorCode.NOT_CONTROLLER, null),
    );
    assert.deepEqual(
      await alterConfigsHandler.handle(request, context(brokerWith(bug))),
      everywhere(ErrorCode.UNKNOWN_SERVER_ERROR, null),
    );
    assert.deepEqual(
      await alterConfigsHandler.handle(request, context(brokerWith(undefined))),
      everywhere(ErrorCode.REQUEST_TIMED_OUT, "no controller"),
    );
  });
});

describe("AlterConfigs on a broker", () => {
  const broker = useBroker();
  const client = useWireClient(broker);
  const alter = async (validateOnly: boolean, configs: { name: string; value: string | null }[]) =>
    (
      await client.request(Apis.AlterConfigs, 1, {
        resources: [{ resourceType: TOPIC, resourceName: "altered", configs }],
        validateOnly,
      })
    ).responses;
  const described = async (name: string) => {
    const { results } = await client.request(Apis.DescribeConfigs, 1, {
      resources: [{ resourceType: TOPIC, resourceName: "altered", configurationKeys: [name] }],
      includeSynonyms: false,
    });
    return results[0]?.configs[0]?.value;
  };

  before(async () => {
    const created = await client.request(
      Apis.CreateTopics,
      4,
      createTopicsRequest([{ name: "altered", numPartitions: 1 }]),
    );
    assert.equal(created.topics[0]?.errorCode, ErrorCode.NONE);
  });

  it("when a topic's configs are altered twice, then the second set replaces the first and what it leaves out goes back to the default", async () => {
    const first = await alter(false, [
      { name: "retention.ms", value: "1000" },
      { name: "cleanup.policy", value: "compact" },
    ]);
    assert.deepEqual(
      first.map((r) => r.errorCode),
      [ErrorCode.NONE],
    );
    assert.deepEqual([await described("retention.ms"), await described("cleanup.policy")], ["1000", "compact"]);

    await alter(false, [{ name: "retention.ms", value: "2000" }]);
    assert.deepEqual(
      [await described("retention.ms"), await described("cleanup.policy")],
      ["2000", brokerDefaults["log.cleanup.policy"]],
    );
  });

  it("when the request only validates or names an unknown config, then nothing changes", async () => {
    await alter(false, [{ name: "retention.ms", value: "3000" }]);
    assert.deepEqual(
      (await alter(true, [{ name: "retention.ms", value: "9999" }])).map((r) => r.errorCode),
      [ErrorCode.NONE],
    );
    const unknown = await alter(false, [{ name: "no.such.config", value: "1" }]);
    assert.equal(unknown[0]?.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(await described("retention.ms"), "3000");
  });
});
