// The cluster events a broker records from the metadata it applies (for the console's event stream):
// leaders changed, ISRs shrunk or expanded (a replica a reassignment took away among the causes),
// brokers registered, fenced or unfenced, and the controller (the Raft leader of the metadata
// quorum) changed. Each is found by comparing the image before a committed batch with the image
// after it, and its cause from what else the same batch did: the controller writes a broker's
// fencing or controlled shutdown in one batch with the leader and ISR changes it brings, so a
// leader that moved away from a broker fenced in that batch moved because of it. Every broker
// applies the same batches at the same offsets, so each event gets a `dedupKey` that is the same on
// every broker: `md:<batch's last offset>:…` or `raft-epoch:<epoch>`.
//
// A starting broker replays the whole metadata log, then catches up on what it missed while it was
// away; those are old facts. Events are recorded only from the batch that unfences this broker's
// own registration on (`caughtUp`), so a restart does not flood the stream. Of the controller
// changes heard before then (a restarted node first announces the leader it remembers), only the
// latest is recorded, once caught up: the controller of the moment (its dedup key makes it one event
// with the others' records of the same election).
//
// Ownership: a MetadataEvents owns only whether it has caught up and the controller change heard
// before; it is called from the metadata
// loader's listener and the Raft node's leader listener, one call at a time. Diffing skips every
// topic and partition the batch did not touch (images share them by reference), so a batch that
// changes one partition costs one comparison per topic.
import type { ClusterEventInput, EventJournal } from "../admin/cluster-events.ts";
import type { BrokerRegistration, MetadataImage, PartitionRegistration, TopicImage } from "./metadata-image.ts";
import { NO_LEADER, topicIdKey } from "./metadata-image.ts";

export interface MetadataEventsOptions {
  journal: EventJournal;
  /** Whether `image` shows this broker caught up (its own registration unfenced): events are recorded from then on. */
  caughtUp: (image: MetadataImage) => boolean;
}

export class MetadataEvents {
  #live = false;
  #heldController: { leaderId: number; epoch: number } | null = null;

  constructor(private readonly options: MetadataEventsOptions) {}

  /** The loader applied a batch: `previous` is the image before it. */
  onImage(image: MetadataImage, previous: MetadataImage): void {
    if (!this.#live) {
      if (!this.options.caughtUp(image)) return;
      this.#live = true;
      if (this.#heldController !== null) this.recordController(this.#heldController);
      this.#heldController = null;
    }
    for (const event of clusterEventsBetween(previous, image)) this.options.journal.record(event);
  }

  /** The Raft node announced a leader (the active controller) for an epoch. */
  onControllerChange(leader: { leaderId: number | null; epoch: number }): void {
    if (leader.leaderId === null) return;
    if (this.#live) this.recordController({ leaderId: leader.leaderId, epoch: leader.epoch });
    else this.#heldController = { leaderId: leader.leaderId, epoch: leader.epoch };
  }

  private recordController(leader: { leaderId: number; epoch: number }): void {
    this.options.journal.record({
      kind: "controller-changed",
      cause: `broker ${leader.leaderId} won the election of epoch ${leader.epoch} and leads the metadata quorum`,
      dedupKey: `raft-epoch:${leader.epoch}`,
      subjectBroker: leader.leaderId,
      leaderEpoch: leader.epoch,
    });
  }
}

/** What happened to a broker in one batch. */
interface BrokerChange {
  registered: boolean;
  restarted: boolean;
  fenced: boolean;
  unfenced: boolean;
  shuttingDown: boolean;
  unregistered: boolean;
}

/** The events one batch (the change from `previous` to `image`) makes, in order: brokers, then partitions. */
export function clusterEventsBetween(previous: MetadataImage, image: MetadataImage): ClusterEventInput[] {
  const key = (rest: string) => `md:${image.offset}:${rest}`;
  const brokerChanges = changedBrokers(previous, image);
  const events: ClusterEventInput[] = [];
  for (const [id, change] of brokerChanges) {
    const broker = image.broker(id);
    if (change.registered) {
      events.push({
        kind: "broker-registered",
        cause: change.restarted
          ? `broker ${id} restarted and registered again (broker epoch ${broker?.epoch})`
          : `broker ${id} registered with the controller (broker epoch ${broker?.epoch})`,
        dedupKey: key(`broker:${id}:broker-registered`),
        subjectBroker: id,
      });
    }
    if (change.fenced) {
      events.push({
        kind: "broker-fenced",
        cause: previous.broker(id)?.inControlledShutdown
          ? `controlled shutdown of broker ${id} completed`
          : `broker ${id} sent no heartbeat within broker.session.timeout.ms`,
        dedupKey: key(`broker:${id}:broker-fenced`),
        subjectBroker: id,
      });
    }
    if (change.unfenced) {
      events.push({
        kind: "broker-unfenced",
        cause: `broker ${id} caught up with the metadata log and was unfenced`,
        dedupKey: key(`broker:${id}:broker-unfenced`),
        subjectBroker: id,
      });
    }
  }
  for (const [topicKey, topic] of image.topicsById) {
    const before = previous.topicsById.get(topicKey);
    if (before === topic) continue;
    topic.partitions.forEach((partition, index) => {
      const old = before?.partitions[index];
      if (old === partition) return;
      events.push(...partitionEvents(image, topic, before, old, partition, brokerChanges, key));
    });
  }
  return events;
}

function changedBrokers(previous: MetadataImage, image: MetadataImage): Map<number, BrokerChange> {
  const changes = new Map<number, BrokerChange>();
  if (previous.brokers === image.brokers) return changes;
  const none = (): BrokerChange => ({
    registered: false,
    restarted: false,
    fenced: false,
    unfenced: false,
    shuttingDown: false,
    unregistered: false,
  });
  for (const [id, broker] of image.brokers) {
    const old = previous.brokers.get(id);
    if (old === broker) continue;
    const change = none();
    if (old === undefined || old.epoch !== broker.epoch) {
      change.registered = true;
      change.restarted = old !== undefined;
      // A new registration that is unfenced at once (a replay of several batches in one) counts too.
      if (!broker.fenced) change.unfenced = true;
    } else {
      change.fenced = !old.fenced && broker.fenced;
      change.unfenced = old.fenced && !broker.fenced;
      change.shuttingDown = !old.inControlledShutdown && broker.inControlledShutdown;
    }
    changes.set(id, change);
  }
  for (const id of previous.brokers.keys()) {
    if (!image.brokers.has(id)) changes.set(id, { ...none(), unregistered: true });
  }
  return changes;
}

function partitionEvents(
  image: MetadataImage,
  topic: TopicImage,
  topicBefore: TopicImage | undefined,
  old: PartitionRegistration | undefined,
  partition: PartitionRegistration,
  brokerChanges: ReadonlyMap<number, BrokerChange>,
  key: (rest: string) => string,
): ClusterEventInput[] {
  const where = { topic: topic.name, partition: partition.partition };
  const dedupKey = (kind: string) => key(`${topicIdKey(topic.topicId)}:${partition.partition}:${kind}`);
  const events: ClusterEventInput[] = [];
  if (old === undefined || old.leader !== partition.leader) {
    events.push({
      kind: "leader-changed",
      cause: leaderCause(image, topicBefore === undefined, old, partition, brokerChanges),
      dedupKey: dedupKey("leader-changed"),
      ...where,
      leader: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      isr: [...partition.isr],
    });
  }
  if (old === undefined) return events;
  const left = old.isr.filter((id) => !partition.isr.includes(id));
  const joined = partition.isr.filter((id) => !old.isr.includes(id));
  if (left.length > 0) {
    events.push({
      kind: "isr-shrank",
      cause: left
        .map(
          (id) =>
            whyGone(image, id, brokerChanges.get(id)) ??
            (partition.replicas.includes(id)
              ? `broker ${id} fell behind (replica.lag.time.max.ms)`
              : reassignedAway(id)),
        )
        .join("; "),
      dedupKey: dedupKey("isr-shrank"),
      ...where,
      leader: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      isr: [...partition.isr],
    });
  }
  if (joined.length > 0) {
    events.push({
      kind: "isr-expanded",
      cause: joined.map((id) => `broker ${id} caught up`).join("; "),
      dedupKey: dedupKey("isr-expanded"),
      ...where,
      leader: partition.leader,
      leaderEpoch: partition.leaderEpoch,
      isr: [...partition.isr],
    });
  }
  return events;
}

function leaderCause(
  image: MetadataImage,
  newTopic: boolean,
  old: PartitionRegistration | undefined,
  partition: PartitionRegistration,
  brokerChanges: ReadonlyMap<number, BrokerChange>,
): string {
  if (old === undefined) {
    return newTopic ? `new topic: broker ${partition.leader} leads` : `new partition: broker ${partition.leader} leads`;
  }
  const gone = whyGone(image, old.leader, brokerChanges.get(old.leader));
  if (partition.leader === NO_LEADER) {
    return `${gone ?? `broker ${old.leader} stepped down`}, and no other in-sync replica can lead: offline`;
  }
  if (gone !== null) return gone;
  if (old.leader !== NO_LEADER && !partition.replicas.includes(old.leader)) return reassignedAway(old.leader);
  if (old.leader === NO_LEADER) {
    const change = brokerChanges.get(partition.leader);
    return change?.unfenced
      ? `broker ${partition.leader} unfenced: it leads the partition that had no leader`
      : `broker ${partition.leader} elected: the partition had no leader`;
  }
  if (partition.leader === partition.replicas[0]) return "preferred leader election";
  return "leader election";
}

/** A reassignment (KIP-455) completing, or one cancelled, took the broker's replica away. */
function reassignedAway(id: number): string {
  return `reassignment: broker ${id} is no longer a replica`;
}

/**
 * Why a broker stopped leading or left an ISR, from what the batch did to it or the state it is in
 * (a controlled shutdown may move its partitions over several batches); null when neither says.
 */
function whyGone(image: MetadataImage, id: number, change: BrokerChange | undefined): string | null {
  if (change?.restarted) return `broker ${id} restarted`;
  if (change?.unregistered) return `broker ${id} unregistered`;
  const registration = image.broker(id);
  if (change?.shuttingDown || registration?.inControlledShutdown) return `controlled shutdown of broker ${id}`;
  if (change?.fenced || registration?.fenced) return `broker ${id} fenced`;
  return null;
}

/** The registration of this broker's own incarnation, unfenced: the caught-up test `MetadataEvents` needs. */
export function ownRegistrationUnfenced(image: MetadataImage, nodeId: number, brokerEpoch: bigint): boolean {
  const own: BrokerRegistration | undefined = image.broker(nodeId);
  return own !== undefined && own.epoch === brokerEpoch && !own.fenced;
}
