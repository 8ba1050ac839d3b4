// Broker membership on the active controller (Kafka's ClusterControlManager with its
// BrokerHeartbeatManager): BrokerRegistration, BrokerHeartbeat and its fenced → unfenced →
// controlled shutdown → shut down states, and fencing brokers whose session timed out.
//
// Broker epochs are a counter, not the RegisterBrokerRecord's offset as in Kafka (the controller
// learns offsets only once a batch is committed): a new registration gets one more than both the
// highest epoch any RegisterBrokerRecord carried and the last committed offset, so epochs only rise,
// across controller failovers too, and stay unique for the life of the log. A broker is caught up,
// and may be unfenced, once its heartbeat reports having applied its RegisterBrokerRecord's offset.
//
// A new incarnation of a registered broker (the process restarted) first loses its ISR places and
// leaderships, as a fenced broker does (Kafka does this for ISRs on an unclean shutdown, KIP-966): a
// restarted process must catch up as a follower before it leads again.
//
// While the previous incarnation's session is live, a new one is refused (DUPLICATE_BROKER_REGISTRATION,
// as in Kafka: two processes may be configured with one node id). A session this controller only
// assumed when it became active, without hearing from the broker since, does not count: the node
// that was the controller, or the whole cluster, restarting would otherwise keep every restarted
// broker out for a full session timeout (a lone broker is its own controller, so it could not serve
// its own topics for that long after a restart).
//
// Ownership: a ClusterControl owns the heartbeat state of the brokers (last contact, reported
// metadata offset, controlled shutdown offset): controller-local, never in the log, reset when this
// node becomes the active controller. Only the QuorumController's serial queue calls it.

import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import type { MetadataImage } from "../server/metadata/metadata-image.ts";
import type { ControllerResult } from "./controller-result.ts";
import {
  controlledShutdownRecords,
  type ElectionSettings,
  fenceBrokerRecords,
  leaderAndIsrUpdates,
  unfenceBrokerRecords,
  unregisterBrokerRecords,
} from "./leader-and-isr.ts";

export interface ClusterSettings extends ElectionSettings {
  clusterId: string;
  /** broker.session.timeout.ms */
  sessionTimeoutMs: number;
}

export interface BrokerRegistrationRequestData {
  brokerId: number;
  clusterId: string;
  incarnationId: Buffer;
  listeners: { name: string; host: string; port: number; securityProtocol: number }[];
  features: { name: string; minSupportedVersion: number; maxSupportedVersion: number }[];
  rack: string | null;
}

export interface BrokerRegistrationReply {
  errorCode: number;
  /** -1n when none was assigned. */
  brokerEpoch: bigint;
}

export interface BrokerHeartbeatRequestData {
  brokerId: number;
  brokerEpoch: bigint;
  /** The highest metadata offset the broker has applied. */
  currentMetadataOffset: bigint;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface BrokerHeartbeatReply {
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

type BrokerState = "fenced" | "unfenced" | "controlled-shutdown" | "shutdown-now";

interface HeartbeatState {
  lastContactMs: number;
  /** false while the session is only the one assumed on activation: no request from this incarnation yet. */
  heardFrom: boolean;
  metadataOffset: bigint;
  /**
   * null while not shutting down; "pending" from the heartbeat that started a controlled shutdown
   * until its records are committed; then the offset of their batch, which every active broker must
   * have applied before the shutting-down one may stop.
   */
  controlledShutdownOffset: bigint | "pending" | null;
}

export class ClusterControl {
  private readonly heartbeats = new Map<number, HeartbeatState>();

  constructor(
    private readonly settings: ClusterSettings,
    private readonly now: () => number,
  ) {}

  /** On becoming the active controller: every registered broker starts a fresh session now. */
  activate(image: MetadataImage): void {
    this.heartbeats.clear();
    for (const broker of image.brokers.values()) this.heartbeats.set(broker.id, this.freshState(false));
  }

  deactivate(): void {
    this.heartbeats.clear();
  }

  registerBroker(
    image: MetadataImage,
    request: BrokerRegistrationRequestData,
  ): ControllerResult<BrokerRegistrationReply> {
    const refused = (errorCode: number) => ({ records: [], response: { errorCode, brokerEpoch: -1n } });
    if (request.clusterId !== this.settings.clusterId) return refused(ErrorCode.INCONSISTENT_CLUSTER_ID);
    const { brokerId } = request;
    const existing = image.broker(brokerId);
    const sameIncarnation = existing?.incarnationId.equals(request.incarnationId) ?? false;
    if (existing && !sameIncarnation && this.hasHeardFromLiveSession(image, brokerId))
      return refused(ErrorCode.DUPLICATE_BROKER_REGISTRATION);
    const records: MetadataRecord[] = [];
    if (existing && !sameIncarnation) {
      const involved = image
        .allPartitions()
        .filter(({ partition }) => partition.leader === brokerId || partition.isr.includes(brokerId));
      records.push(...leaderAndIsrUpdates(image, involved, this.settings, { remove: brokerId }));
    }
    const brokerEpoch = sameIncarnation ? existing!.epoch : nextBrokerEpoch(image);
    records.push({
      type: "RegisterBrokerRecord",
      version: 1,
      data: {
        brokerId,
        isMigratingZkBroker: false,
        incarnationId: request.incarnationId,
        brokerEpoch,
        endPoints: request.listeners.map((l) => ({
          name: l.name,
          host: l.host,
          port: l.port,
          securityProtocol: l.securityProtocol,
        })),
        features: request.features.map((f) => ({
          name: f.name,
          minSupportedVersion: f.minSupportedVersion,
          maxSupportedVersion: f.maxSupportedVersion,
        })),
        rack: request.rack,
        fenced: sameIncarnation ? existing!.fenced : true,
        inControlledShutdown: sameIncarnation ? existing!.inControlledShutdown : false,
        logDirs: [],
      },
    });
    if (!sameIncarnation) this.heartbeats.set(brokerId, this.freshState());
    else this.touch(brokerId);
    return { records, response: { errorCode: ErrorCode.NONE, brokerEpoch } };
  }

  /**
   * A heartbeat (Kafka's calculateNextBrokerState and processBrokerHeartbeat). `image` is the
   * controller's latest; `committed` tells where the broker's RegisterBrokerRecord landed.
   */
  heartbeat(
    image: MetadataImage,
    committed: MetadataImage,
    request: BrokerHeartbeatRequestData,
  ): ControllerResult<BrokerHeartbeatReply> {
    const { brokerId } = request;
    const broker = image.broker(brokerId);
    if (!broker || broker.epoch !== request.brokerEpoch) {
      return {
        records: [],
        response: { errorCode: ErrorCode.STALE_BROKER_EPOCH, isCaughtUp: false, isFenced: true, shouldShutDown: false },
      };
    }
    const state = this.heartbeats.get(brokerId) ?? this.freshState();
    this.heartbeats.set(brokerId, state);
    state.heardFrom = true;
    const registered = committed.broker(brokerId);
    const registrationOffset =
      registered?.epoch === broker.epoch && registered.registrationOffset >= 0n ? registered.registrationOffset : null;
    const isCaughtUp = registrationOffset !== null && request.currentMetadataOffset >= registrationOffset;
    const current: BrokerState =
      state.controlledShutdownOffset !== null ? "controlled-shutdown" : broker.fenced ? "fenced" : "unfenced";
    const next = this.nextState(image, brokerId, current, state, request, isCaughtUp);

    let records: MetadataRecord[] = [];
    if (next !== current) {
      if (next === "fenced" || next === "shutdown-now") {
        if (!broker.fenced) records = fenceBrokerRecords(image, brokerId, this.settings);
      } else if (next === "unfenced") {
        records = unfenceBrokerRecords(image, brokerId, this.settings);
      } else {
        records = controlledShutdownRecords(image, brokerId, this.settings);
      }
    }
    state.lastContactMs = this.now();
    state.metadataOffset = request.currentMetadataOffset;
    const fencedNext = next === "fenced" || next === "shutdown-now";
    if (fencedNext) state.controlledShutdownOffset = null;
    let afterCommit: ((offset: bigint) => void) | undefined;
    if (next === "controlled-shutdown" && state.controlledShutdownOffset === null) {
      state.controlledShutdownOffset = "pending";
      afterCommit = (offset) => {
        if (this.heartbeats.get(brokerId) === state && state.controlledShutdownOffset === "pending")
          state.controlledShutdownOffset = offset;
      };
    }
    return {
      records,
      response: {
        errorCode: ErrorCode.NONE,
        isCaughtUp,
        isFenced: fencedNext,
        shouldShutDown: next === "shutdown-now",
      },
      afterCommit,
    };
  }

  /** Unfenced brokers whose session has run out, the longest silent first. */
  staleBrokers(image: MetadataImage): number[] {
    const now = this.now();
    const stale: { id: number; lastContactMs: number }[] = [];
    for (const broker of image.brokers.values()) {
      if (broker.fenced) continue;
      let state = this.heartbeats.get(broker.id);
      if (!state) {
        state = this.freshState(false);
        this.heartbeats.set(broker.id, state);
      }
      if (state.lastContactMs + this.settings.sessionTimeoutMs < now)
        stale.push({ id: broker.id, lastContactMs: state.lastContactMs });
    }
    return stale.sort((a, b) => a.lastContactMs - b.lastContactMs).map((s) => s.id);
  }

  /**
   * Moves every session's last contact `ms` later (never past now): this controller's process
   * could not run for that long, so it could not hear any heartbeat either, and silence it could
   * not have heard does not count against a broker.
   */
  extendSessions(ms: number): void {
    const now = this.now();
    for (const state of this.heartbeats.values()) state.lastContactMs = Math.min(now, state.lastContactMs + ms);
  }

  /** Fences the broker if its session is still out (a heartbeat may have come since it was found stale). */
  fenceStaleBroker(image: MetadataImage, brokerId: number): ControllerResult<boolean> {
    if (!this.staleBrokers(image).includes(brokerId)) return { records: [], response: false };
    const state = this.heartbeats.get(brokerId);
    if (state) state.controlledShutdownOffset = null;
    return { records: fenceBrokerRecords(image, brokerId, this.settings), response: true };
  }

  unregisterBroker(image: MetadataImage, brokerId: number): ControllerResult<number> {
    if (!image.broker(brokerId)) return { records: [], response: ErrorCode.BROKER_ID_NOT_REGISTERED };
    this.heartbeats.delete(brokerId);
    return { records: unregisterBrokerRecords(image, brokerId, this.settings), response: ErrorCode.NONE };
  }

  private nextState(
    image: MetadataImage,
    brokerId: number,
    current: BrokerState,
    state: HeartbeatState,
    request: BrokerHeartbeatRequestData,
    isCaughtUp: boolean,
  ): BrokerState {
    switch (current) {
      case "fenced":
        if (request.wantShutDown) return "shutdown-now";
        // A registration stays in controlled shutdown until the broker registers anew (no record clears
        // it), so such a broker may not lead or join ISRs: it stays fenced until its next incarnation.
        return !request.wantFence && isCaughtUp && !image.broker(brokerId)!.inControlledShutdown
          ? "unfenced"
          : "fenced";
      case "unfenced":
        if (request.wantFence) return request.wantShutDown ? "shutdown-now" : "fenced";
        if (request.wantShutDown) return image.hasLeaderships(brokerId) ? "controlled-shutdown" : "shutdown-now";
        return "unfenced";
      case "controlled-shutdown": {
        if (image.hasLeaderships(brokerId) || state.controlledShutdownOffset === "pending")
          return "controlled-shutdown";
        const offset = state.controlledShutdownOffset ?? -1n;
        // Every active broker has applied the leadership moves: the new leaders serve before this one stops.
        return offset <= this.lowestActiveOffset(image) ? "shutdown-now" : "controlled-shutdown";
      }
      default:
        return "shutdown-now";
    }
  }

  /** The lowest metadata offset reported by an unfenced broker that is not shutting down. */
  private lowestActiveOffset(image: MetadataImage): bigint {
    let lowest: bigint | null = null;
    for (const [id, state] of this.heartbeats) {
      if (state.controlledShutdownOffset !== null || !image.isActive(id)) continue;
      if (lowest === null || state.metadataOffset < lowest) lowest = state.metadataOffset;
    }
    return lowest ?? (1n << 63n) - 1n;
  }

  private hasHeardFromLiveSession(image: MetadataImage, brokerId: number): boolean {
    const state = this.heartbeats.get(brokerId);
    const broker = image.broker(brokerId);
    if (!state?.heardFrom || !broker || broker.fenced) return false;
    return state.lastContactMs + this.settings.sessionTimeoutMs >= this.now();
  }

  private touch(brokerId: number): void {
    const state = this.heartbeats.get(brokerId);
    if (state) {
      state.lastContactMs = this.now();
      state.heardFrom = true;
    } else this.heartbeats.set(brokerId, this.freshState());
  }

  private freshState(heardFrom = true): HeartbeatState {
    return { lastContactMs: this.now(), heardFrom, metadataOffset: -1n, controlledShutdownOffset: null };
  }
}

/** One more than both the highest broker epoch given so far and the last committed offset. */
export function nextBrokerEpoch(image: MetadataImage): bigint {
  const afterEpochs = image.highestBrokerEpoch + 1n;
  const afterOffset = image.offset + 1n;
  return afterEpochs > afterOffset ? afterEpochs : afterOffset;
}
