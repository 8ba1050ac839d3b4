// Applies altered configs to the partitions this broker hosts, at once: when a metadata image
// changes topic or broker configs (AlterConfigs' ConfigRecords), each hosted partition's log takes
// its topic's effective settings and its produce checks the effective max.message.bytes. No state.
import type { TopicState } from "./cluster.ts";
import type { BrokerConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { MetadataImage } from "./metadata/metadata-image.ts";
import type { Partition } from "./partition.ts";
import { logConfigOf, topicConfigOf } from "./topics.ts";

/** Whether `image` may change some partition's effective configs compared with `previous`. */
export function configsChanged(image: MetadataImage, previous: MetadataImage | undefined): boolean {
  return (
    previous === undefined ||
    image.topicConfigs !== previous.topicConfigs ||
    image.brokerConfigs !== previous.brokerConfigs
  );
}

export function applyLiveConfigs(
  config: BrokerConfig,
  partitions: readonly Partition[],
  topicOf: (name: string) => TopicState | undefined,
  log: Logger,
): void {
  for (const partition of partitions) {
    const topic = topicOf(partition.topic);
    if (!topic) continue;
    try {
      partition.log.reconfigure(logConfigOf(config, topic));
      partition.setMaxMessageBytes(Number(topicConfigOf(config, topic, "max.message.bytes")));
    } catch (error) {
      // The controller checked the values; one that still does not fit leaves the previous settings.
      log.warn("altered topic configs not applied", {
        topic: partition.topic,
        partition: partition.index,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
