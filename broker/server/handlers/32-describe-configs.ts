// DescribeConfigs (32): a topic's configs (its own, else the broker default it inherits) and this
// broker's properties, each with its effective value and source, read from the latest metadata
// image, where AlterConfigs' changes are. With includeSynonyms a topic config also lists the broker
// property behind it.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeConfigsResourceResult, DescribeConfigsSynonym } from "../../protocol/messages/index.ts";
import { brokerDefaults, topicConfigDefaults } from "../config.ts";
import {
  brokerConfigValue,
  ConfigResourceType,
  ConfigSource,
  DYNAMIC_BROKER_CONFIGS,
  isSensitiveBrokerConfig,
  topicConfigValue,
} from "../dynamic-configs.ts";
import { defineHandler } from "./handler.ts";

export const describeConfigsHandler = defineHandler(Apis.DescribeConfigs, (request, { broker }) => {
  const image = broker.kraft.loader.image;
  return {
    throttleTimeMs: 0,
    results: request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const refused = (errorCode: number, errorMessage: string) => ({ ...base, errorCode, errorMessage, configs: [] });
      const wanted = (name: string): boolean =>
        resource.configurationKeys === null || resource.configurationKeys.includes(name);
      let configs: DescribeConfigsResourceResult[];
      if (resource.resourceType === ConfigResourceType.TOPIC) {
        if (!broker.cluster.topic(resource.resourceName))
          return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${resource.resourceName} does not exist`);
        configs = Object.keys(topicConfigDefaults)
          .filter(wanted)
          .map((name) => {
            const { value, source } = topicConfigValue(broker.config, image, resource.resourceName, name);
            const synonyms: DescribeConfigsSynonym[] = [];
            if (request.includeSynonyms) {
              if (source === ConfigSource.DYNAMIC_TOPIC_CONFIG) synonyms.push({ name, value, source });
              const brokerKey = topicConfigDefaults[name]!;
              const inherited = brokerConfigValue(broker.config, image, brokerKey);
              synonyms.push({ name: brokerKey, value: inherited.value, source: inherited.source });
            }
            return {
              name,
              value,
              readOnly: false,
              isDefault: source === ConfigSource.DEFAULT_CONFIG,
              configSource: source,
              isSensitive: false,
              synonyms,
            };
          });
      } else if (resource.resourceType === ConfigResourceType.BROKER) {
        if (resource.resourceName !== "" && resource.resourceName !== String(broker.config.nodeId))
          return refused(ErrorCode.INVALID_REQUEST, `this is broker ${broker.config.nodeId}`);
        configs = Object.keys(brokerDefaults)
          .filter(wanted)
          .map((name) => {
            const { value, source } = brokerConfigValue(broker.config, image, name);
            const sensitive = isSensitiveBrokerConfig(name);
            return {
              name,
              value: sensitive ? null : value,
              readOnly: !DYNAMIC_BROKER_CONFIGS.has(name),
              isDefault: source === ConfigSource.DEFAULT_CONFIG,
              configSource: source,
              isSensitive: sensitive,
              synonyms: request.includeSynonyms ? [{ name, value: sensitive ? null : value, source }] : [],
            };
          });
      } else {
        return refused(ErrorCode.INVALID_REQUEST, `resource type ${resource.resourceType} is not supported`);
      }
      return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
    }),
  };
});
