// The consumer, with kafkajs's API and behaviour: subscribe, run with eachMessage or eachBatch,
// group membership with rebalancing, auto-commit, seek, pause/resume, instrumentation events,
// and a crash that restarts the consumer as kafkajs's does. One extension: `assign()` for a
// standalone consumer that reads chosen partitions without joining a group.
import { Apis } from "../../protocol/apis.ts";
import { toGroupDescription } from "../admin/groups.ts";
import type { Cluster } from "../cluster.ts";
import { KafkaJSError, KafkaJSNonRetriableError, type KafkaJSProtocolError } from "../errors.ts";
import { consumerEvents } from "../events.ts";
import { InstrumentationEmitter } from "../instrumentation.ts";
import type { Logger } from "../logger.ts";
import { createRetrier, defaultRetry } from "../retry.ts";
import type { GroupDescription, InstrumentationEvent, TopicOffsets, TopicPartitions } from "../types.ts";
import { ConsumerGroupMembership } from "./consumer-group-membership.ts";
import { cooperativeSticky } from "./cooperative-sticky-assigner.ts";
import { type GroupMember, GroupMembership, GroupOffsets, isRejoinError } from "./group.ts";
import { PauseState, partitionKey } from "./partition-state.ts";
import { roundRobin } from "./round-robin-assigner.ts";
import { Runner } from "./runner.ts";
import type {
  AssignerCluster,
  Consumer,
  ConsumerConfig,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  StandaloneAssignment,
  TopicPartitionOffsetAndMetadata,
} from "./types.ts";

export { AssignerProtocol } from "./assigner-protocol.ts";
export type * from "./types.ts";
/** kafkajs's roundRobin, and our extension cooperativeSticky (Java's "cooperative-sticky", KIP-429). */
export const PartitionAssigners = { roundRobin, cooperativeSticky };

export interface CreateConsumerOptions extends ConsumerConfig {
  cluster: Cluster;
  logger: Logger;
}

type TopicPartitionsInput = Array<{ topic: string; partitions?: number[] }>;

export function createConsumer({
  cluster,
  logger,
  groupId,
  partitionAssigners = [roundRobin],
  metadataMaxAge = 300_000,
  sessionTimeout = 30_000,
  rebalanceTimeout = 60_000,
  heartbeatInterval = 3_000,
  maxBytesPerPartition = 1_048_576,
  minBytes = 1,
  maxBytes = 10_485_760,
  maxWaitTimeInMs = 5_000,
  retry,
  readUncommitted = false,
  rackId = "",
  groupInstanceId,
  groupProtocol = "classic",
  groupRemoteAssignor,
  maxPollInterval,
}: CreateConsumerOptions): Consumer {
  if (groupProtocol !== "classic" && groupProtocol !== "consumer") {
    throw new KafkaJSNonRetriableError(
      `Consumer groupProtocol "${groupProtocol}" is invalid: use "classic" or "consumer"`,
    );
  }
  if (groupRemoteAssignor !== undefined && groupProtocol !== "consumer") {
    throw new KafkaJSNonRetriableError('Consumer groupRemoteAssignor needs groupProtocol "consumer"');
  }
  if (heartbeatInterval >= sessionTimeout) {
    throw new KafkaJSNonRetriableError(
      `Consumer heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout}). It is recommended to set heartbeatInterval to approximately a third of the sessionTimeout.`,
    );
  }
  if (maxPollInterval !== undefined && !(Number.isInteger(maxPollInterval) && maxPollInterval > 0)) {
    throw new KafkaJSNonRetriableError(
      `Consumer maxPollInterval (${maxPollInterval}) must be a positive whole number of milliseconds`,
    );
  }
  // Java's JoinGroupRequest.validateGroupInstanceId rules.
  if (groupInstanceId !== undefined && !/^[a-zA-Z0-9._-]{1,249}$/.test(groupInstanceId)) {
    throw new KafkaJSNonRetriableError(
      `Consumer groupInstanceId "${groupInstanceId}" is invalid: use 1 to 249 letters, digits, ".", "_" or "-"`,
    );
  }
  // The consumer protocol names topics by id: the metadata must carry them from the start.
  if (groupProtocol === "consumer") cluster.useTopicIds();
  const emitter = new InstrumentationEmitter(consumerEvents, "consumer", logger);
  cluster.instrument(emitter.network);
  const assignerCluster: AssignerCluster = {
    // As kafkajs's: a topic without metadata (say, a subscription to a topic that does not exist) has no partitions.
    findTopicPartitionMetadata: (topic) => (cluster.hasTopic(topic) ? cluster.topicMetadata(topic).partitions : []),
    getNodeIds: () => cluster.brokers.map(({ nodeId }) => nodeId),
    refreshMetadata: () => cluster.refreshMetadata(),
  };
  const assigners = partitionAssigners.map((createAssigner) =>
    createAssigner({ cluster: assignerCluster, groupId, logger }),
  );

  /** Subscribed topics in subscription order (the order assigners see them in, as in kafkajs). */
  const subscriptions = new Map<string, boolean>();
  let standalone: StandaloneAssignment[] | null = null;
  const pauses = new PauseState();
  const seeks = new Map<string, { topic: string; partition: number; offset: bigint }>();
  let runner: Runner | null = null;
  /** The group requests of the current run (a member's, or a standalone consumer's commits); owns a coordinator connection. */
  let groupRequests: GroupOffsets | null = null;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const requireRunner = (): Runner => {
    if (!runner)
      throw new KafkaJSNonRetriableError("Consumer group was not initialized, consumer#run must be called first");
    return runner;
  };

  const connect = async (): Promise<void> => {
    await cluster.connect();
    emitter.emit(consumerEvents.CONNECT);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearTimeout(restartTimer);
      if (runner) {
        await runner.stop();
        groupRequests?.forgetCoordinator();
        runner = null;
        groupRequests = null;
        emitter.emit(consumerEvents.STOP);
      }
      logger.info("Stopped", { groupId });
    })().finally(() => {
      stopping = undefined;
    });
    return stopping;
  };

  const disconnect = async (): Promise<void> => {
    try {
      await stop();
      logger.debug("consumer has stopped, disconnecting", { groupId });
      cluster.disconnect();
      emitter.emit(consumerEvents.DISCONNECT);
    } catch (error) {
      logger.error(`Caught error when disconnecting the consumer: ${(error as Error).message}`, { groupId });
      throw error;
    }
  };

  const allTopicNames = async (): Promise<string[]> =>
    cluster.retrier(async () => {
      const connection = await cluster.anyConnection();
      const response = await connection.request(Apis.Metadata, { topics: null, allowAutoTopicCreation: false });
      return response.topics.map(({ name }) => name);
    });

  const subscribe = async (subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> => {
    if (runner) throw new KafkaJSNonRetriableError("Cannot subscribe to topic while consumer is running");
    if (standalone)
      throw new KafkaJSNonRetriableError("A consumer given partitions with assign() cannot also subscribe");
    const { fromBeginning = false } = subscription;
    const list =
      "topics" in subscription && subscription.topics != null
        ? subscription.topics
        : "topic" in subscription && subscription.topic
          ? [subscription.topic]
          : null;
    if (!list) throw new KafkaJSNonRetriableError('Missing required argument "topics"');
    if (!Array.isArray(list)) throw new KafkaJSNonRetriableError('Argument "topics" must be an array');
    for (const entry of list) {
      if (typeof entry !== "string" && !(entry instanceof RegExp)) {
        throw new KafkaJSNonRetriableError(
          `Invalid topic ${String(entry)} (${typeof entry}), the topic name has to be a String or a RegExp`,
        );
      }
    }
    // As in kafkajs, a RegExp is matched once, against the topics that exist now.
    const existing = list.some((entry) => entry instanceof RegExp) ? await allTopicNames() : [];
    const topics: string[] = [];
    for (const entry of list) {
      if (typeof entry === "string") topics.push(entry);
      else {
        const matched = existing.filter((name) => entry.test(name));
        logger.debug("Subscription based on RegExp", {
          groupId,
          topicRegExp: entry.toString(),
          matchedTopics: matched,
        });
        topics.push(...matched);
      }
    }
    for (const topic of topics) subscriptions.set(topic, fromBeginning);
    await cluster.addTargetTopics(topics);
  };

  const assign = (topicPartitions: StandaloneAssignment[]): void => {
    if (runner) throw new KafkaJSNonRetriableError("Cannot assign partitions while consumer is running");
    if (subscriptions.size > 0)
      throw new KafkaJSNonRetriableError("A subscribed consumer cannot also be given partitions with assign()");
    if (!Array.isArray(topicPartitions))
      throw new KafkaJSNonRetriableError("assign() takes an array of { topic, partitions }");
    for (const entry of topicPartitions) {
      if (!entry || typeof entry.topic !== "string" || !entry.topic)
        throw new KafkaJSNonRetriableError(`Invalid topic ${entry?.topic}`);
      if (!Array.isArray(entry.partitions) || entry.partitions.some((p) => !Number.isInteger(p) || p < 0)) {
        throw new KafkaJSNonRetriableError(`Invalid partitions for topic ${entry.topic}: ${String(entry.partitions)}`);
      }
    }
    standalone = topicPartitions.map(({ topic, partitions, fromBeginning }) => ({
      topic,
      partitions: [...partitions],
      fromBeginning,
    }));
  };

  const run = async ({
    autoCommit = true,
    autoCommitInterval = null,
    autoCommitThreshold = null,
    eachBatchAutoResolve = true,
    partitionsConsumedConcurrently = 1,
    eachBatch = undefined,
    eachMessage = undefined,
  }: ConsumerRunConfig = {}): Promise<void> => {
    if (runner) {
      logger.warn("consumer#run was called, but the consumer is already running", { groupId });
      return;
    }
    if (!standalone && !groupId) throw new KafkaJSNonRetriableError("Consumer groupId must be a non-empty string.");

    const start = async (): Promise<void> => {
      logger.info("Starting", { groupId });
      const onRejoinNeeded = (reason: KafkaJSProtocolError): void => current?.onRejoinNeeded(reason);
      const group: (GroupMember & GroupOffsets) | null = standalone
        ? null
        : groupProtocol === "consumer"
          ? new ConsumerGroupMembership({
              cluster,
              logger,
              emitter,
              retrier: createRetrier(retry),
              groupId,
              rebalanceTimeout,
              heartbeatInterval,
              groupRemoteAssignor: groupRemoteAssignor ?? null,
              groupInstanceId: groupInstanceId ?? null,
              rackId: rackId || null,
              onRejoinNeeded,
            })
          : new GroupMembership({
              cluster,
              logger,
              emitter,
              retrier: createRetrier(retry),
              groupId,
              assigners,
              sessionTimeout,
              rebalanceTimeout,
              heartbeatInterval,
              groupInstanceId: groupInstanceId ?? null,
              onRejoinNeeded,
            });
      groupRequests = group ?? (groupId ? new GroupOffsets(cluster, groupId, emitter) : null);
      const current: Runner = new Runner({
        cluster,
        logger,
        emitter,
        groupId,
        group,
        offsets: groupRequests,
        subscription: { topics: [...subscriptions.keys()], fromBeginning: new Map(subscriptions) },
        standalone,
        pauses,
        seeks,
        retry,
        fetch: { maxWaitTimeInMs, minBytes, maxBytes, maxBytesPerPartition, readUncommitted, rackId, metadataMaxAge },
        run: {
          eachMessage: eachMessage ?? null,
          eachBatch: eachBatch ?? null,
          autoCommit,
          autoCommitInterval,
          autoCommitThreshold,
          eachBatchAutoResolve,
          concurrency: partitionsConsumedConcurrently,
          maxPollInterval: maxPollInterval ?? null,
        },
        onCrash: (error) => void onCrash(error),
      });
      runner = current;
      await current.start();
    };

    const onCrash = async (error: Error): Promise<void> => {
      const details = error as Error & { retryCount?: number; retryTime?: number };
      logger.error(`Crash: ${error.name}: ${error.message}`, {
        groupId,
        retryCount: details.retryCount,
        stack: error.stack,
      });
      await disconnect().catch(() => undefined);
      const original = rootCause(error) as { retriable?: boolean };
      const retriable = error.name === "KafkaJSNumberOfRetriesExceeded" || original.retriable === true;
      let restart = retriable;
      if (restart && retry?.restartOnFailure) {
        restart = await retry.restartOnFailure(error).catch((callbackError: unknown) => {
          logger.error(
            'Caught error when invoking user-provided "restartOnFailure" callback. Defaulting to restarting.',
            { error: String(callbackError), cause: error.message, groupId },
          );
          return true;
        });
      }
      emitter.emit(consumerEvents.CRASH, { error, groupId, restart });
      if (restart) {
        const retryTime = details.retryTime || retry?.initialRetryTime || defaultRetry.initialRetryTime;
        logger.error(`Restarting the consumer in ${retryTime}ms`, {
          retryCount: details.retryCount,
          retryTime,
          groupId,
        });
        restartTimer = setTimeout(() => {
          void start();
        }, retryTime);
      }
    };

    await start();
  };

  const commitOffsets = async (topicPartitions: TopicPartitionOffsetAndMetadata[] = []): Promise<void> => {
    const byTopic = new Map<string, TopicOffsets>();
    for (const { topic, partition, offset, metadata = null } of topicPartitions) {
      if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
      if (Number.isNaN(Number(partition)))
        throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
      const value = parseOffset(offset);
      if (value === null) throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
      if (value < 0n) throw new KafkaJSNonRetriableError("Offset must not be a negative number");
      if (metadata !== null && typeof metadata !== "string")
        throw new KafkaJSNonRetriableError(`Invalid offset metadata, expected string or null, received ${metadata}`);
      let entry = byTopic.get(topic);
      if (!entry) byTopic.set(topic, (entry = { topic, partitions: [] }));
      entry.partitions.push({ partition, offset: String(value) });
    }
    const active = requireRunner();
    if (!active.running) return;
    await createRetrier(retry)(async (bail) => {
      try {
        await active.commitGiven(undefined, { topics: [...byTopic.values()] });
      } catch (error) {
        if (!active.running) return;
        if (isRejoinError(error)) bail(error);
        throw error;
      }
    });
  };

  const seek = ({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void => {
    if (!topic) throw new KafkaJSNonRetriableError(`Invalid topic ${topic}`);
    if (Number.isNaN(Number(partition)))
      throw new KafkaJSNonRetriableError(`Invalid partition, expected a number received ${partition}`);
    const value = parseOffset(offset);
    if (value === null) throw new KafkaJSNonRetriableError(`Invalid offset, expected a long received ${offset}`);
    if (value < 0n && value !== -1n && value !== -2n)
      throw new KafkaJSNonRetriableError("Offset must not be a negative number");
    const active = requireRunner();
    seeks.set(partitionKey(topic, partition), { topic, partition, offset: value });
    active.wake();
  };

  const describeGroup = async (): Promise<GroupDescription> =>
    createRetrier(retry)(async () => {
      const coordinator = await cluster.findGroupCoordinator(groupId);
      const { groups } = await coordinator.request(Apis.DescribeGroups, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      const group = groups.find((g) => g.groupId === groupId);
      if (!group) throw new KafkaJSError(`Group ${groupId} was not described`);
      return toGroupDescription(group);
    });

  const validateTopicPartitions = (topicPartitions: TopicPartitionsInput, verb: string): void => {
    for (const entry of topicPartitions) {
      if (!entry?.topic) throw new KafkaJSNonRetriableError(`Invalid topic ${entry?.topic || entry}`);
      if (
        entry.partitions !== undefined &&
        (!Array.isArray(entry.partitions) || entry.partitions.some((p) => Number.isNaN(Number(p))))
      ) {
        throw new KafkaJSNonRetriableError(
          `Array of valid partitions required to ${verb} specific partitions instead of ${entry.partitions}`,
        );
      }
    }
  };

  const pause = (topicPartitions: TopicPartitionsInput = []): void => {
    validateTopicPartitions(topicPartitions, "pause");
    requireRunner();
    logger.info(`Pausing fetching from ${topicPartitions.length} topics`, { topicPartitions });
    pauses.pause(topicPartitions);
  };

  const resume = (topicPartitions: TopicPartitionsInput = []): void => {
    validateTopicPartitions(topicPartitions, "resume");
    const active = requireRunner();
    logger.info(`Resuming fetching from ${topicPartitions.length} topics`, { topicPartitions });
    pauses.resume(topicPartitions);
    active.wake();
  };

  const paused = (): TopicPartitions[] => {
    if (!runner) return [];
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of runner.assigned()) {
      if (!pauses.isPaused(topic, partition)) continue;
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(partition);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  };

  const consumer: Consumer = {
    connect,
    disconnect,
    subscribe,
    assign,
    stop,
    run,
    commitOffsets,
    seek,
    describeGroup,
    pause,
    paused,
    resume,
    // biome-ignore lint/suspicious/noExplicitAny: kafkajs's own signature, kept for drop-in compatibility
    on: ((eventName: string, listener: (event: InstrumentationEvent<any>) => unknown) =>
      emitter.on(eventName, listener)) as Consumer["on"],
    logger: () => logger,
    events: consumerEvents,
  };
  return consumer;
}

function parseOffset(offset: unknown): bigint | null {
  try {
    if (typeof offset === "bigint") return offset;
    if (typeof offset === "number" && Number.isInteger(offset)) return BigInt(offset);
    if (typeof offset === "string" && /^-?\d+$/.test(offset.trim())) return BigInt(offset.trim());
    return null;
  } catch {
    return null;
  }
}

function rootCause(error: unknown): unknown {
  let current = error;
  const seen = new Set<unknown>();
  while (current && typeof current === "object" && (current as { cause?: unknown }).cause && !seen.has(current)) {
    seen.add(current);
    current = (current as { cause?: unknown }).cause;
  }
  return current;
}
