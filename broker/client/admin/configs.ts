// DescribeConfigs and AlterConfigs: a broker's own configs are described and altered through that
// broker; everything else goes to the controller.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeConfigsResourceResult, DescribeConfigsResult } from "../../protocol/messages/index.ts";
import { KafkaJSNonRetriableError, KafkaJSProtocolError } from "../errors.ts";
import type { BrokerConnection } from "../network/broker-connection.ts";
import { type AdminContext, attempt, controllerConnection, hasType, nodeConnection } from "./context.ts";
import {
  type AlterConfigResponse,
  type ConfigEntries,
  type ConfigResourceType,
  ConfigResourceTypes,
  ConfigSource,
  type ConfigSourceValue,
  type DescribeConfigResponse,
  type IResourceConfig,
  type ResourceConfigQuery,
} from "./types.ts";

const resourceTypes = new Set<number>(Object.values(ConfigResourceTypes));
const isBrokerResource = (type: number): boolean =>
  type === ConfigResourceTypes.BROKER || type === ConfigResourceTypes.BROKER_LOGGER;

interface NamedResource {
  type: number;
  name: string;
}

/** What describeConfigs and alterConfigs check alike, with kafkajs's messages. */
function validateResourceList(resources: readonly NamedResource[]): void {
  if (!Array.isArray(resources)) throw new KafkaJSNonRetriableError(`Invalid resources array ${resources}`);
  if (resources.length === 0) throw new KafkaJSNonRetriableError("Resources array cannot be empty");
  const invalidType = resources.find((r) => !resourceTypes.has(r.type));
  if (invalidType)
    throw new KafkaJSNonRetriableError(`Invalid resource type ${invalidType.type}: ${JSON.stringify(invalidType)}`);
  const invalidName = resources.find((r) => !r.name || typeof r.name !== "string");
  if (invalidName)
    throw new KafkaJSNonRetriableError(`Invalid resource name ${invalidName.name}: ${JSON.stringify(invalidName)}`);
}

/** A broker's own resources go to that broker, everything else to the controller. */
async function byTargetBroker<R extends NamedResource>(
  ctx: AdminContext,
  resources: readonly R[],
): Promise<Map<BrokerConnection, R[]>> {
  const controller = await controllerConnection(ctx);
  const byBroker = new Map<BrokerConnection, R[]>();
  for (const resource of resources) {
    const target = isBrokerResource(resource.type) ? await nodeConnection(ctx, Number(resource.name)) : controller;
    byBroker.set(target, [...(byBroker.get(target) ?? []), resource]);
  }
  return byBroker;
}

function validateResources(resources: ResourceConfigQuery[]): void {
  validateResourceList(resources);
  const invalidNames = resources.find((r) => r.configNames != null && !Array.isArray(r.configNames));
  if (invalidNames)
    throw new KafkaJSNonRetriableError(
      `Invalid resource configNames ${invalidNames.configNames}: ${JSON.stringify(invalidNames)}`,
    );
}

/** v0 answers `isDefault` and neither source nor synonyms; v1+ answer the source, which says whether it is the default. */
function toConfigEntry(entry: DescribeConfigsResourceResult, resourceType: number, version: number): ConfigEntries {
  let configSource: ConfigSourceValue;
  if (version >= 1) configSource = entry.configSource as ConfigSourceValue;
  else if (entry.isDefault) configSource = ConfigSource.DEFAULT_CONFIG;
  else if (resourceType === ConfigResourceTypes.BROKER) configSource = ConfigSource.STATIC_BROKER_CONFIG;
  else if (resourceType === ConfigResourceTypes.TOPIC) configSource = ConfigSource.TOPIC_CONFIG;
  else configSource = ConfigSource.UNKNOWN;
  return {
    configName: entry.name,
    configValue: entry.value as string,
    readOnly: entry.readOnly,
    isDefault: version >= 1 ? configSource === ConfigSource.DEFAULT_CONFIG : Boolean(entry.isDefault),
    configSource,
    isSensitive: entry.isSensitive,
    configSynonyms: (entry.synonyms ?? []).map((s) => ({
      configName: s.name,
      configValue: s.value as string,
      configSource: s.source as ConfigSourceValue,
    })),
  };
}

function toResource(result: DescribeConfigsResult, version: number): DescribeConfigResponse["resources"][number] {
  return {
    errorCode: result.errorCode,
    errorMessage: result.errorMessage,
    resourceType: result.resourceType as ConfigResourceType,
    resourceName: result.resourceName,
    configEntries: result.configs.map((entry) => toConfigEntry(entry, result.resourceType, version)),
  };
}

export async function describeConfigs(
  ctx: AdminContext,
  { resources, includeSynonyms }: { resources: ResourceConfigQuery[]; includeSynonyms: boolean },
): Promise<DescribeConfigResponse> {
  validateResources(resources);
  return attempt(
    ctx,
    async () => {
      const byBroker = await byTargetBroker(ctx, resources);
      const answers = await Promise.all(
        [...byBroker].map(async ([connection, asked]) => {
          const version = connection.versionFor(Apis.DescribeConfigs);
          const response = await connection.request(
            Apis.DescribeConfigs,
            {
              resources: asked.map((r) => ({
                resourceType: r.type,
                resourceName: r.name,
                configurationKeys: r.configNames && r.configNames.length > 0 ? r.configNames : null,
              })),
              includeSynonyms: Boolean(includeSynonyms),
            },
            { version },
          );
          const failed = response.results.find((r) => r.errorCode !== ErrorCode.NONE);
          if (failed) throw new KafkaJSProtocolError(failed.errorCode);
          return response.results.map((result) => toResource(result, version));
        }),
      );
      return { resources: answers.flat() };
    },
    {
      surface: (error) => error instanceof KafkaJSProtocolError && !hasType("NOT_CONTROLLER")(error),
      onRetry: (error, retryCount, retryTime) =>
        ctx.logger.warn("Could not describe configs", { error: error.message, retryCount, retryTime }),
    },
  );
}

function validateAlterResources(resources: IResourceConfig[]): void {
  validateResourceList(resources);
  const invalidConfigs = resources.find((r) => !Array.isArray(r.configEntries));
  if (invalidConfigs)
    throw new KafkaJSNonRetriableError(
      `Invalid resource configEntries ${invalidConfigs.configEntries}: ${JSON.stringify(invalidConfigs)}`,
    );
  const invalidValue = resources.find((r) =>
    r.configEntries.some((e) => typeof e.name !== "string" || typeof e.value !== "string"),
  );
  if (invalidValue)
    throw new KafkaJSNonRetriableError(`Invalid resource config value: ${JSON.stringify(invalidValue)}`);
}

/**
 * kafkajs's alterConfigs (AlterConfigs, not the incremental API): each resource's configs are
 * replaced by the entries given. A resource refused fails the call with its error, as kafkajs does.
 */
export async function alterConfigs(
  ctx: AdminContext,
  { resources, validateOnly }: { resources: IResourceConfig[]; validateOnly: boolean },
): Promise<AlterConfigResponse> {
  validateAlterResources(resources);
  return attempt(
    ctx,
    async () => {
      const byBroker = await byTargetBroker(ctx, resources);
      const answers = await Promise.all(
        [...byBroker].map(async ([connection, asked]) => {
          const response = await connection.request(
            Apis.AlterConfigs,
            {
              resources: asked.map((r) => ({
                resourceType: r.type,
                resourceName: r.name,
                configs: r.configEntries.map((e) => ({ name: e.name, value: e.value })),
              })),
              validateOnly: Boolean(validateOnly),
            },
            { version: connection.versionFor(Apis.AlterConfigs) },
          );
          const failed = response.responses.find((r) => r.errorCode !== ErrorCode.NONE);
          if (failed) throw new KafkaJSProtocolError(failed.errorCode);
          return response.responses.map((r) => ({
            errorCode: r.errorCode,
            errorMessage: r.errorMessage,
            resourceType: r.resourceType as ConfigResourceType,
            resourceName: r.resourceName,
          }));
        }),
      );
      return { resources: answers.flat() };
    },
    {
      surface: (error) => error instanceof KafkaJSProtocolError && !hasType("NOT_CONTROLLER")(error),
      onRetry: (error, retryCount, retryTime) =>
        ctx.logger.warn("Could not alter configs", { error: error.message, retryCount, retryTime }),
    },
  );
}
