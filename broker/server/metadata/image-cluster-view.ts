// The cluster as a KRaft broker's handlers read it (the ClusterView Metadata, FindCoordinator,
// DescribeConfigs and CreateTopics read on a lone broker too), taken from the latest applied
// metadata image: the unfenced brokers, and every topic with its partitions' leaders, epochs,
// replicas and ISR.
//
// Ownership: none of the metadata; the loader owns the image. The topic shapes derived from an
// image are remembered per TopicImage object (and its config map), so requests do not rebuild them.
import type { BrokerNode, ClusterView, TopicState } from "../cluster.ts";
import { isInternalTopic, type MetadataImage, type TopicImage } from "./metadata-image.ts";

export interface ImageSource {
  readonly image: MetadataImage;
}

export class ImageClusterView implements ClusterView {
  readonly #topics = new WeakMap<TopicImage, { state: TopicState; configs: ReadonlyMap<string, string> | undefined }>();
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
        .map((b) => ({
          nodeId: b.id,
          host: b.host,
          port: b.port,
          rack: b.rack,
          endpoints: b.endpoints.map(({ name, host, port }) => ({ name, host, port })),
        }))
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
    // Produce asks on every request: a topic whose image and configs did not change is not rebuilt.
    // A config change makes a new image but may keep the TopicImage, so its config map is compared too.
    const configs = image.topicConfigs.get(topic.name);
    const known = this.#topics.get(topic);
    if (known && known.configs === configs) return known.state;
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
      configs: Object.fromEntries(configs ?? []),
    };
    this.#topics.set(topic, { state, configs });
    return state;
  }
}
