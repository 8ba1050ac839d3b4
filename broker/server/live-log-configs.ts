// Applies altered configs to the partitions this broker hosts, at once: when a metadata image
// changes topic or broker configs (AlterConfigs' ConfigRecords), each hosted partition's log takes
// its topic's effective settings and its produce checks the effective max.message.bytes. No state.
import type { TopicState } from "./cluster.ts";
import type { BrokerConfig } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { MetadataImage } from "./metadata/metadata-image.ts";
import type { Partition } from "./partition.ts";
import { logConfigOf, topicConfigOf } from "./topics.ts";

const ALL_TOPICS = (): boolean => true;

/**
 * Which topics may have new effective configs in `image` against `previous`, or null when none
 * may: every topic on the first image or when broker configs changed (topics inherit them), else
 * those whose own configs changed (an altered topic gets a new map; the others keep theirs). A
 * topic created with configs is among them, so a broker hosting thousands of partitions
 * reconfigures the new topic's alone, not all of them.
 */
export function topicsWithChangedConfigs(
  image: MetadataImage,
  previous: MetadataImage | undefined,
): ((topic: string) => boolean) | null {
  if (previous === undefined || image.brokerConfigs !== previous.brokerConfigs) return ALL_TOPICS;
  if (image.topicConfigs === previous.topicConfigs) return null;
  return (topic) => image.topicConfigs.get(topic) !== previous.topicConfigs.get(topic);
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
