// The cluster as a KRaft broker's handlers read it (the ClusterView Metadata, FindCoordinator,
// DescribeConfigs and CreateTopics read on a lone broker too), taken from the latest applied
// metadata image: the unfenced brokers, and every topic with its partitions' leaders, epochs,
// replicas and ISR.
//
// Ownership: none of the metadata; the loader owns the image. The topic shapes derived from one
// image are remembered per TopicImage object, so a Metadata request does not rebuild them.
import type { BrokerNode, ClusterView, TopicState } from "../cluster.ts";
import { isInternalTopic, type MetadataImage, type TopicImage } from "./metadata-image.ts";

export interface ImageSource {
  readonly image: MetadataImage;
}

export class ImageClusterView implements ClusterView {
  readonly #topics = new WeakMap<TopicImage, TopicState>();
  #brokersOf: MetadataImage | null = null;
  #brokers: BrokerNode[] = [];

  constructor(
    private readonly source: ImageSource,
    readonly clusterId: string,
    /** The active controller's id when known. */
    private readonly activeController: () => number | null,
  ) {}

  get brokers(): readonly BrokerNode[] {
    const image = this.source.image;
    if (this.#brokersOf !== image) {
      this.#brokersOf = image;
      this.#brokers = image
        .activeBrokers()
        .map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack }))
        .sort((a, b) => a.nodeId - b.nodeId);
    }
    return this.#brokers;
  }

  /**
   * The active controller when it is a serving broker (in combined mode it is), else the first
   * serving broker: clients send admin requests to this id, and every broker forwards them.
   */
  get controllerId(): number {
    const brokers = this.brokers;
    const active = this.activeController();
    if (active !== null && brokers.some((b) => b.nodeId === active)) return active;
    return brokers[0]?.nodeId ?? -1;
  }

  topic(name: string): TopicState | undefined {
    const image = this.source.image;
    const topic = image.topic(name);
    return topic ? this.#stateOf(image, topic) : undefined;
  }

  topicNames(): string[] {
    return [...this.source.image.topicsByName.keys()];
  }

  allTopics(): TopicState[] {
    const image = this.source.image;
    return [...image.topicsByName.values()].map((topic) => this.#stateOf(image, topic));
  }

  #stateOf(image: MetadataImage, topic: TopicImage): TopicState {
    const known = this.#topics.get(topic);
    // A config change makes a new image but may keep the TopicImage: compare the configs too.
    const configs = Object.fromEntries(image.topicConfigs.get(topic.name) ?? []);
    if (known && sameConfigs(known.configs, configs)) return known;
    const state: TopicState = {
      name: topic.name,
      topicId: topic.topicId,
      isInternal: isInternalTopic(topic.name),
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicas: [...p.replicas],
        isr: [...p.isr],
      })),
      configs,
    };
    this.#topics.set(topic, state);
    return state;
  }
}

function sameConfigs(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
