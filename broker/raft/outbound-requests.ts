// The requests a RaftNode sends to the other replicas (Kafka's RequestManager and the sending half
// of its NetworkChannel): at most one out to each node at a time, none to a node for a retry
// backoff after a failure, and answers handed back on the node's serial path. A state transition
// forgets what is out, so the new role can talk at once; answers to forgotten requests no longer
// count as the destination's current one (and a forgotten Fetch's answer is dropped, since it
// could append out of turn).
//
// Ownership: owned by one RaftNode; every method runs on its serial path, and answers come back
// through the node's `serially`.

import type { Logger } from "../server/logger.ts";
import type { RaftApi, RaftChannel, RaftMessages } from "./raft-channel.ts";

/** Handles an answer; returns whether it was usable (false backs the destination off). */
export type AnswerHandler = <Api extends RaftApi>(
  destination: number,
  api: Api,
  response: RaftMessages[Api]["response"],
) => boolean;

export class OutboundRequests {
  readonly #channel: RaftChannel;
  readonly #retryBackoffMs: number;
  readonly #now: () => number;
  readonly #serially: (work: () => void) => void;
  readonly #onAnswer: AnswerHandler;
  readonly #logger: Logger;
  readonly #inFlight = new Map<number, number>();
  readonly #backoffUntil = new Map<number, number>();
  #nextToken = 1;

  constructor(options: {
    channel: RaftChannel;
    retryBackoffMs: number;
    now: () => number;
    /** Runs work on the node's serial path (and not at all once the node is closed). */
    serially: (work: () => void) => void;
    onAnswer: AnswerHandler;
    logger: Logger;
  }) {
    this.#channel = options.channel;
    this.#retryBackoffMs = options.retryBackoffMs;
    this.#now = options.now;
    this.#serially = options.serially;
    this.#onAnswer = options.onAnswer;
    this.#logger = options.logger;
  }

  isReady(destination: number, now: number): boolean {
    return !this.#inFlight.has(destination) && (this.#backoffUntil.get(destination) ?? 0) <= now;
  }

  /** When `destination` may be sent to again: now if ready, its backoff's end, or never while a request is out. */
  readyAt(destination: number, now: number): number {
    if (this.#inFlight.has(destination)) return Number.POSITIVE_INFINITY;
    return Math.max(now, this.#backoffUntil.get(destination) ?? 0);
  }

  send<Api extends RaftApi>(destination: number, api: Api, request: RaftMessages[Api]["request"]): void {
    const token = this.#nextToken++;
    this.#inFlight.set(destination, token);
    this.#backoffUntil.delete(destination);
    this.#channel.send(destination, api, request).then(
      (response) =>
        this.#serially(() => {
          const current = this.#complete(destination, token);
          if (api === "Fetch" && !current) return;
          let usable: boolean;
          try {
            usable = this.#onAnswer(destination, api, response);
          } catch (error) {
            this.#logger.error("raft response handling failed", { destination, api, error: errorText(error) });
            usable = false;
          }
          if (!usable && current) this.#backOff(destination);
        }),
      (error: unknown) =>
        this.#serially(() => {
          this.#logger.debug("raft request failed", { destination, api, error: errorText(error) });
          if (this.#complete(destination, token)) this.#backOff(destination);
        }),
    );
  }

  /** Forgets every request out and every backoff. */
  resetAll(): void {
    this.#inFlight.clear();
    this.#backoffUntil.clear();
  }

  #complete(destination: number, token: number): boolean {
    if (this.#inFlight.get(destination) !== token) return false;
    this.#inFlight.delete(destination);
    return true;
  }

  #backOff(destination: number): void {
    this.#backoffUntil.set(destination, this.#now() + this.#retryBackoffMs);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
