// How a broker reaches the active controller (Kafka's NodeToControllerChannelManager): a request
// goes to whichever voter the Raft quorum says leads now; when there is none yet, or the one asked
// turns out not to be it (NOT_CONTROLLER) or cannot be reached, the request waits for the next
// leader and is sent again, until its deadline. Brokers register, heartbeat, report ISR changes,
// get producer ids and forward topic changes through it.
//
// Ownership: a NodeToControllerChannel owns one BrokerConnection per voter, opened on first use;
// requests to the controller are independent, so several may be in flight at once.
import type { BrokerConnection } from "../client/network/broker-connection.ts";
import type { ApiDefinition } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { interBrokerConnection } from "./inter-broker-connection.ts";
import type { Logger } from "./logger.ts";

export interface ControllerAddress {
  nodeId: number;
  host: string;
  port: number;
}

/** What the channel needs to know of the quorum: who leads, and a way to hear when that changes. */
export interface ControllerLocator {
  readonly leaderId: number | null;
  onLeaderChange(listener: () => void): () => void;
}

export interface ControllerChannel {
  /**
   * Sends `request` to the active controller; resolves with its response, or rejects once
   * `timeoutMs` passes without one from a controller that was the active one.
   */
  send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options?: { timeoutMs?: number }): Promise<Res>;
  close(): void;
}

export class ControllerUnavailableError extends Error {}

export interface NodeToControllerChannelOptions {
  localId: number;
  voters: readonly ControllerAddress[];
  quorum: ControllerLocator;
  /** controller.quorum.request.timeout.ms: default deadline of one send. */
  requestTimeoutMs: number;
  /** controller.quorum.retry.backoff.ms: pause before trying again when no controller answered. */
  retryBackoffMs: number;
  log: Logger;
}

/** A response whose top-level error code says the node asked is not (or no longer) the controller. */
function answeredNotController(response: unknown): boolean {
  return (response as { errorCode?: number } | null)?.errorCode === ErrorCode.NOT_CONTROLLER;
}

export class NodeToControllerChannel implements ControllerChannel {
  readonly #connections = new Map<number, BrokerConnection>();
  #closed = false;

  constructor(private readonly options: NodeToControllerChannelOptions) {}

  async send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req, options: { timeoutMs?: number } = {}): Promise<Res> {
    const deadline = Date.now() + (options.timeoutMs ?? this.options.requestTimeoutMs);
    let lastProblem = "no controller elected yet";
    for (;;) {
      if (this.#closed) throw new ControllerUnavailableError("controller channel closed");
      const controllerId = this.options.quorum.leaderId;
      const connection = controllerId === null ? null : this.#connection(controllerId);
      if (connection !== null) {
        try {
          const response = await this.#whileItLeads(controllerId!, connection.request(api, request), deadline);
          if (!answeredNotController(response)) return response;
          lastProblem = `node ${controllerId} is not the active controller`;
        } catch (error) {
          lastProblem = `controller ${controllerId}: ${error instanceof Error ? error.message : String(error)}`;
          connection.disconnect();
          this.#connections.delete(controllerId!);
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new ControllerUnavailableError(`${api.name} got no controller's answer: ${lastProblem}`);
      await this.#nextLeaderOrBackoff(Math.min(left, this.options.retryBackoffMs));
    }
  }

  close(): void {
    this.#closed = true;
    for (const connection of this.#connections.values()) connection.disconnect();
    this.#connections.clear();
  }

  /**
   * `response`, or a rejection as soon as another node (or none) leads the quorum or the send's
   * deadline passes. A controller that stopped answering without closing its connections (paused,
   * or cut off) would otherwise hold the request for the whole request timeout: a heartbeat held
   * that long gets this broker fenced by the new controller, which expects it within
   * broker.session.timeout.ms. Kafka's channel likewise drops its connection to a controller that
   * is no longer the active one.
   */
  #whileItLeads<T>(controllerId: number, response: Promise<T>, deadline: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
      };
      const timer = setTimeout(
        () => {
          done();
          reject(new Error("no answer before the deadline"));
        },
        Math.max(0, deadline - Date.now()),
      );
      const unsubscribe = this.options.quorum.onLeaderChange(() => {
        if (this.options.quorum.leaderId === controllerId) return;
        done();
        reject(new Error("no longer the leader of the quorum"));
      });
      response.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /** Resumes when the quorum names a leader, or after `ms`, whichever is first. */
  #nextLeaderOrBackoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = this.options.quorum.onLeaderChange(done);
    });
  }

  #connection(nodeId: number): BrokerConnection | null {
    const existing = this.#connections.get(nodeId);
    if (existing) return existing;
    const voter = this.options.voters.find((v) => v.nodeId === nodeId);
    if (!voter) return null;
    const connection = interBrokerConnection(
      voter,
      `broker-${this.options.localId}-to-controller`,
      this.options.requestTimeoutMs,
      this.options.log,
    );
    this.#connections.set(nodeId, connection);
    return connection;
  }
}
