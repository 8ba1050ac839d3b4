// AlterConfigs and IncrementalAlterConfigs at the controller (Kafka's ConfigurationControlManager):
// each resource's requested changes checked against the latest image and turned into
// ConfigRecords (a null value removes a config), all or nothing per resource; every broker applies
// them from the metadata log, and a restart replays them. No state.
import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import {
  ConfigOp,
  ConfigResourceType,
  checkBrokerConfig,
  checkTopicConfig,
  isListConfig,
} from "../server/dynamic-configs.ts";
import type { MetadataImage } from "../server/metadata/metadata-image.ts";
import type { ControllerResult } from "./controller-result.ts";

export interface ConfigChange {
  name: string;
  /** ConfigOp; AlterConfigs' entries are SETs. */
  op: number;
  value: string | null;
}

export interface ConfigResourceChange {
  resourceType: number;
  resourceName: string;
  configs: ConfigChange[];
}

export interface ConfigResourceOutcome {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface AlterConfigsOptions {
  validateOnly: boolean;
  /**
   * AlterConfigs (not incremental) replaces the resource's whole dynamic config: what the request
   * does not name is removed.
   */
  replaceAll: boolean;
  /** A topic config's current effective value, for APPEND/SUBTRACT on a config the topic has not set. */
  effectiveValue(resourceType: number, resourceName: string, name: string): string;
}

class Refusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

function refuse(errorCode: number, message: string): never {
  throw new Refusal(errorCode, message);
}

function listOf(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** The resource's configs after the changes, or a refusal. */
function nextConfigs(
  current: ReadonlyMap<string, string>,
  resource: ConfigResourceChange,
  options: AlterConfigsOptions,
): Map<string, string> {
  const names = resource.configs.map((c) => c.name);
  if (new Set(names).size !== names.length)
    refuse(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys: ${names.join(",")}`);
  const next = options.replaceAll ? new Map<string, string>() : new Map(current);
  for (const { name, op, value } of resource.configs) {
    const existing = () => next.get(name) ?? options.effectiveValue(resource.resourceType, resource.resourceName, name);
    switch (op) {
      case ConfigOp.SET:
        if (value === null) refuse(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${name}`);
        next.set(name, value);
        break;
      case ConfigOp.DELETE:
        next.delete(name);
        break;
      case ConfigOp.APPEND:
      case ConfigOp.SUBTRACT: {
        if (!isListConfig(name))
          refuse(
            ErrorCode.INVALID_CONFIG,
            `Config value ${op === ConfigOp.APPEND ? "append" : "subtract"} is not allowed for config key: ${name}`,
          );
        if (value === null) refuse(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${name}`);
        const items = listOf(existing());
        const changed = listOf(value);
        const result =
          op === ConfigOp.APPEND
            ? [...items, ...changed.filter((item) => !items.includes(item))]
            : items.filter((item) => !changed.includes(item));
        next.set(name, result.join(","));
        break;
      }
      default:
        refuse(ErrorCode.INVALID_REQUEST, `Unknown config operation ${op} for ${name}`);
    }
  }
  return next;
}

function currentConfigs(image: MetadataImage, resource: ConfigResourceChange): ReadonlyMap<string, string> {
  const empty = new Map<string, string>();
  if (resource.resourceType === ConfigResourceType.TOPIC) {
    if (!image.topic(resource.resourceName))
      refuse(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resource.resourceName} does not exist.`);
    return image.topicConfigs.get(resource.resourceName) ?? empty;
  }
  if (resource.resourceType === ConfigResourceType.BROKER) {
    // "" is the cluster-wide default; otherwise a broker id.
    if (resource.resourceName !== "" && !/^\d+$/.test(resource.resourceName))
      refuse(ErrorCode.INVALID_REQUEST, `Invalid broker id ${resource.resourceName}`);
    return image.brokerConfigs.get(resource.resourceName) ?? empty;
  }
  return refuse(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resource.resourceType}`);
}

function alterResource(
  image: MetadataImage,
  resource: ConfigResourceChange,
  options: AlterConfigsOptions,
): MetadataRecord[] {
  const current = currentConfigs(image, resource);
  const next = nextConfigs(current, resource, options);
  const check = resource.resourceType === ConfigResourceType.TOPIC ? checkTopicConfig : checkBrokerConfig;
  const records: MetadataRecord[] = [];
  const record = (name: string, value: string | null): MetadataRecord => ({
    type: "ConfigRecord",
    version: 0,
    data: { resourceType: resource.resourceType, resourceName: resource.resourceName, name, value },
  });
  for (const [name, value] of next) {
    if (current.get(name) === value) continue;
    const invalid = check(name, value);
    if (invalid) refuse(invalid.errorCode, invalid.errorMessage);
    records.push(record(name, value));
  }
  for (const name of current.keys()) if (!next.has(name)) records.push(record(name, null));
  // A DELETE of an unknown name is refused too, as Kafka does, though it changes nothing.
  for (const { name, op } of resource.configs) {
    if (op !== ConfigOp.DELETE) continue;
    const invalid = check(name, null);
    if (invalid?.errorMessage.startsWith("Unknown")) refuse(invalid.errorCode, invalid.errorMessage);
  }
  return records;
}

/** One outcome per resource, in request order; with validateOnly, no records. */
export function alterConfigs(
  image: MetadataImage,
  resources: readonly ConfigResourceChange[],
  options: AlterConfigsOptions,
): ControllerResult<ConfigResourceOutcome[]> {
  const records: MetadataRecord[] = [];
  const keys = resources.map((r) => `${r.resourceType}:${r.resourceName}`);
  const response = resources.map((resource, i) => {
    const outcome = (errorCode: number, errorMessage: string | null): ConfigResourceOutcome => ({
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      errorCode,
      errorMessage,
    });
    if (keys.indexOf(keys[i]!) !== keys.lastIndexOf(keys[i]!))
      return outcome(ErrorCode.INVALID_REQUEST, "Error due to duplicate resources in the request");
    try {
      records.push(...alterResource(image, resource, options));
      return outcome(ErrorCode.NONE, null);
    } catch (error) {
      if (error instanceof Refusal) return outcome(error.errorCode, error.message);
      throw error;
    }
  });
  return { records: options.validateOnly ? [] : records, response };
}
