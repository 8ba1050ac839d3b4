// A broker's membership of the cluster (Kafka's BrokerLifecycleManager): it registers with the
// active controller (new incarnation id each process start, so the controller tells a restart from
// a duplicate), then heartbeats every broker.heartbeat.interval.ms with how far it has applied the
// metadata log. The controller unfences it once it has caught up; only then does the broker serve
// (`unfenced` resolves). On stop it asks for a controlled shutdown, so its leaderships move before
// it goes, and waits until the controller lets it go (or a deadline passes).
//
// Ownership: one BrokerLifecycleManager per broker owns the registration state (epoch, fenced,
// shutting down) and its one timer; requests are sent one at a time, never overlapping.
import { randomBytes } from "node:crypto";
import { Apis } from "../protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../protocol/errors.ts";
import type { Logger } from "./logger.ts";
import type { ControllerChannel } from "./node-to-controller-channel.ts";

/** The metadata.version range this broker speaks (Kafka's 3.7-IV4 is 19; records here are at their newest). */
export const METADATA_VERSION = { min: 1, max: 19 };

/** A listener as BrokerRegistration carries it (securityProtocol: Kafka's id, 0 PLAINTEXT, 2 SASL_PLAINTEXT). */
export interface RegisteredListener {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface BrokerLifecycleOptions {
  brokerId: number;
  clusterId: string;
  host: string;
  port: number;
  /** Every listener, the inter-broker one (at host:port) first; default: that one alone, named PLAINTEXT. */
  listeners?: readonly RegisteredListener[];
  rack: string | null;
  channel: ControllerChannel;
  /** The offset of the last metadata record this broker has applied. */
  metadataOffset(): bigint;
  heartbeatIntervalMs: number;
  log: Logger;
}

type Phase = "starting" | "registering" | "fenced" | "running" | "shutting-down" | "stopped";

export class BrokerLifecycleManager {
  readonly incarnationId = randomBytes(16);
  #phase: Phase = "starting";
  #brokerEpoch = -1n;
  #timer: NodeJS.Timeout | null = null;
  /** A request is in flight: the next one is scheduled when it is answered (soon, when asked for meanwhile). */
  #inFlight = false;
  #soonAfterInFlight = false;
  #resolveUnfenced!: () => void;
  /** Resolves when the controller first unfences this broker. */
  readonly unfenced = new Promise<void>((resolve) => {
    this.#resolveUnfenced = resolve;
  });
  #onShutdownAllowed: (() => void) | null = null;

  constructor(private readonly options: BrokerLifecycleOptions) {}

  get brokerEpoch(): bigint {
    return this.#brokerEpoch;
  }

  get phase(): Phase {
    return this.#phase;
  }

  start(): void {
    this.#phase = "registering";
    this.#schedule(0);
  }

  /**
   * Asks the controller for a controlled shutdown and waits until it agrees (this broker's
   * leaderships have moved) or `timeoutMs` passes; then stops heartbeating.
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    if (this.#phase !== "running" && this.#phase !== "fenced") return this.stop();
    this.#phase = "shutting-down";
    const allowed = new Promise<void>((resolve) => {
      this.#onShutdownAllowed = resolve;
    });
    this.#schedule(0);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.options.log.warn("controlled shutdown not confirmed in time; stopping anyway", { timeoutMs });
        resolve();
      }, timeoutMs);
    });
    await Promise.race([allowed, gaveUp]);
    clearTimeout(timer);
    this.stop();
  }

  stop(): void {
    this.#phase = "stopped";
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    if (this.#phase === "stopped") return;
    if (this.#inFlight) {
      this.#soonAfterInFlight ||= ms === 0;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#tick();
    }, ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const interval = this.options.heartbeatIntervalMs;
    this.#inFlight = true;
    try {
      if (this.#phase === "registering") await this.#register();
      else if (this.#phase !== "stopped") await this.#heartbeat();
    } catch (error) {
      this.options.log.warn("controller request failed", {
        phase: this.#phase,
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#inFlight = false;
    }
    const soon = this.#soonAfterInFlight;
    this.#soonAfterInFlight = false;
    // While registering or fenced the broker waits on the controller: ask again sooner.
    this.#schedule(soon ? 0 : this.#phase === "running" ? interval : Math.min(interval, 250));
  }

  async #register(): Promise<void> {
    const { options } = this;
    const response = await options.channel.send(Apis.BrokerRegistration, {
      brokerId: options.brokerId,
      clusterId: options.clusterId,
      incarnationId: this.incarnationId,
      listeners: options.listeners?.map((listener) => ({ ...listener })) ?? [
        { name: "PLAINTEXT", host: options.host, port: options.port, securityProtocol: 0 },
      ],
      features: [
        {
          name: "metadata.version",
          minSupportedVersion: METADATA_VERSION.min,
          maxSupportedVersion: METADATA_VERSION.max,
        },
      ],
      rack: options.rack,
    });
    if (response.errorCode !== ErrorCode.NONE) {
      // DUPLICATE_BROKER_REGISTRATION: the previous process's session has not expired yet.
      options.log.info("registration refused; trying again", { error: errorCodeName(response.errorCode) });
      return;
    }
    if (this.#phase !== "registering") return;
    this.#brokerEpoch = response.brokerEpoch ?? -1n;
    this.#phase = "fenced";
    options.log.info("registered with the controller", { brokerEpoch: String(this.#brokerEpoch) });
  }

  async #heartbeat(): Promise<void> {
    const shuttingDown = this.#phase === "shutting-down";
    const response = await this.options.channel.send(Apis.BrokerHeartbeat, {
      brokerId: this.options.brokerId,
      brokerEpoch: this.#brokerEpoch,
      currentMetadataOffset: this.options.metadataOffset(),
      wantFence: false,
      wantShutDown: shuttingDown,
    });
    if (
      response.errorCode === ErrorCode.STALE_BROKER_EPOCH ||
      response.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED
    ) {
      // The controller lost this registration (its session expired): register again.
      if (!shuttingDown) this.#phase = "registering";
      return;
    }
    if (response.errorCode !== ErrorCode.NONE) return;
    if (shuttingDown) {
      if (response.shouldShutDown) this.#onShutdownAllowed?.();
      return;
    }
    if (response.isFenced === false && this.#phase === "fenced") {
      this.#phase = "running";
      this.options.log.info("unfenced by the controller", { brokerEpoch: String(this.#brokerEpoch) });
      this.#resolveUnfenced();
    } else if (response.isFenced !== false && this.#phase === "running") {
      this.#phase = "fenced";
      this.options.log.warn("fenced by the controller");
    }
  }
}
