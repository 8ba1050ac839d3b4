// The topics of a KRaft broker as the data-plane handlers see them (TopicAccess): the partitions
// are the replicas this broker hosts (the ReplicaManager's), the topics those of the metadata
// image, and a topic created automatically is asked of the active controller, as Kafka's
// AutoTopicCreationManager does: the request that found it missing gets LEADER_NOT_AVAILABLE and
// its client asks again once the topic exists.
//
// Ownership: the set of names whose creation is in flight, so one missing topic is asked for once.
import { Apis } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { ClusterView, TopicState } from "./cluster.ts";
import { type BrokerConfig, brokerProp } from "./config.ts";
import type { Logger } from "./logger.ts";
import type { ControllerChannel } from "./node-to-controller-channel.ts";
import type { Partition } from "./partition.ts";
import { type TopicAccess, type TopicError, topicConfigOf, validateTopicName } from "./topics.ts";

export interface HostedPartitions {
  partition(topic: string, index: number): Partition | undefined;
  allPartitions(): Partition[];
}

export class ClusterTopics implements TopicAccess {
  readonly #creating = new Set<string>();

  private get localId(): number {
    return this.config.nodeId;
  }

  constructor(
    private readonly config: BrokerConfig,
    private readonly cluster: ClusterView,
    private readonly replicas: HostedPartitions,
    private readonly controller: ControllerChannel,
    private readonly log: Logger,
    /** Calls the listener after each new metadata image is applied (replicas first); returns the unsubscribe. */
    private readonly onImage: (listener: () => void) => () => void = () => () => {},
  ) {}

  /**
   * Starts the automatic creation of the missing `names` (as autoCreate does) and waits until each
   * exists here with its partitions led by this broker opened, for at most `timeoutMs`: a request
   * that found its topic missing is then answered as if it had been there, as a lone broker always
   * did. Those still missing afterwards get LEADER_NOT_AVAILABLE from autoCreate, and clients retry.
   */
  async awaitCreation(names: readonly string[], timeoutMs = 3000): Promise<void> {
    const pending = names.filter((name) => !this.#ready(name) && this.#refusal(name) === null);
    if (pending.length === 0) return;
    for (const name of pending) this.autoCreate(name);
    await new Promise<void>((resolve) => {
      const check = () => {
        if (!pending.every((name) => this.#ready(name))) return;
        finish();
      };
      const timer = setTimeout(() => finish(), timeoutMs);
      const unsubscribe = this.onImage(check);
      const finish = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      check();
    });
  }

  /** The topic exists and every partition this broker leads is open here. */
  #ready(name: string): boolean {
    const topic = this.cluster.topic(name);
    const hosted = (p: { partition: number; leader: number }) =>
      p.leader !== this.localId || this.replicas.partition(name, p.partition) !== undefined;
    return topic?.partitions.every(hosted) ?? false;
  }

  /** Why a missing topic may not be created automatically, or null when it may. */
  #refusal(name: string): TopicError | null {
    if (brokerProp(this.config, "auto.create.topics.enable") !== "true")
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `topic ${name} does not exist` };
    return validateTopicName(name);
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.replicas.partition(topic, index);
  }

  allPartitions(): Partition[] {
    return this.replicas.allPartitions();
  }

  topicConfig(topic: TopicState, name: string): string {
    return topicConfigOf(this.config, topic, name);
  }

  autoCreate(name: string): TopicState | TopicError {
    const existing = this.cluster.topic(name);
    if (existing) return existing;
    const refusal = this.#refusal(name);
    if (refusal) return refusal;
    if (!this.#creating.has(name)) {
      this.#creating.add(name);
      this.controller
        .send(Apis.CreateTopics, {
          topics: [{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] }],
          timeoutMs: 30_000,
          validateOnly: false,
        })
        .then(
          (response) => {
            const result = response.topics[0];
            if (result && result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
              this.log.warn("automatic topic creation refused", { topic: name, errorCode: result.errorCode });
          },
          (error: unknown) =>
            this.log.warn("automatic topic creation failed", {
              topic: name,
              error: error instanceof Error ? error.message : String(error),
            }),
        )
        .finally(() => this.#creating.delete(name));
    }
    return { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: `topic ${name} is being created` };
  }
}
