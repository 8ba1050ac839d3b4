import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeConfigsResourceResult } from "../../protocol/messages/index.ts";
import { brokerDefaults, brokerProp, topicConfigDefaults } from "../config.ts";
import { defineHandler } from "./handler.ts";

const resourceType = { topic: 2, broker: 4 } as const;
// DescribeConfigs config sources (v1+).
const source = { topicOverride: 1, staticBroker: 4, default: 5 } as const;

export const describeConfigsHandler = defineHandler(Apis.DescribeConfigs, (request, { broker }) => ({
  throttleTimeMs: 0,
  results: request.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    const wanted = (name: string): boolean =>
      resource.configurationKeys === null || resource.configurationKeys.includes(name);
    let configs: DescribeConfigsResourceResult[];
    if (resource.resourceType === resourceType.topic) {
      const topic = broker.cluster.topic(resource.resourceName);
      if (!topic)
        return {
          ...base,
          errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          errorMessage: `topic ${resource.resourceName} does not exist`,
          configs: [],
        };
      configs = Object.keys(topicConfigDefaults)
        .filter(wanted)
        .map((name) => {
          const overridden = name in topic.configs;
          return {
            name,
            value: broker.topics.topicConfig(topic, name),
            readOnly: false,
            isDefault: !overridden,
            configSource: overridden ? source.topicOverride : source.default,
            isSensitive: false,
            synonyms: [],
          };
        });
    } else if (resource.resourceType === resourceType.broker) {
      if (resource.resourceName !== "" && resource.resourceName !== String(broker.config.nodeId)) {
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `this is broker ${broker.config.nodeId}`,
          configs: [],
        };
      }
      configs = Object.keys(brokerDefaults)
        .filter(wanted)
        .map((name) => {
          const set = broker.config.props.has(name);
          return {
            name,
            value: brokerProp(broker.config, name),
            readOnly: true,
            isDefault: !set,
            configSource: set ? source.staticBroker : source.default,
            isSensitive: false,
            synonyms: [],
          };
        });
    } else {
      return {
        ...base,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `resource type ${resource.resourceType} is not supported`,
        configs: [],
      };
    }
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
  }),
}));
