// How the active controller turns requests into committed records (Kafka's ControllerWriteEvent on
// its event queue, with the part of OffsetControlManager that keeps uncommitted state): one serial
// queue runs each step alone; a write computes its records against the latest image — the committed
// one plus the records proposed here and not committed yet, so requests in flight see each other —
// proposes them to the Raft quorum as one batch, and answers once they are committed and applied.
// A write that changes nothing is answered once everything proposed before it is committed, so no
// answer rests on records that could still be lost.
//
// Ownership: a ControllerWrites belongs to one QuorumController, which says whether it is active,
// queues its own steps (activation) here too, and sets the latest image back to the committed one
// when it activates or renounces. It owns the queue, the latest image, the chain of proposals and
// the generation: a renounce starts a new one, and what was in flight in an older one neither
// changes the latest image nor gets an answer. Committed images belong to the MetadataLoader.
import { ErrorCode } from "../protocol/errors.ts";
import type { MetadataRecord } from "../protocol/metadata-records/serde.ts";
import type { Logger } from "../server/logger.ts";
import { applyUncommitted } from "../server/metadata/metadata-delta.ts";
import type { MetadataImage } from "../server/metadata/metadata-image.ts";
import { ControllerError, type ControllerResult, NotControllerError } from "./controller-result.ts";
import type { ControllerTimers } from "./periodic-task-control.ts";

/** Committed images (the MetadataLoader). */
export interface CommittedImages {
  readonly image: MetadataImage;
  waitForOffset(offset: bigint): Promise<MetadataImage>;
}

/** A request's answer once its records are committed; rejects with a ControllerError. */
export type Compute<T> = (image: MetadataImage) => ControllerResult<T>;

export interface ControllerWritesOptions {
  /** Appends encoded records as one batch; resolves with its last offset once committed. */
  propose(records: Buffer[]): Promise<bigint>;
  committed: CommittedImages;
  encode: (record: MetadataRecord) => Buffer;
  log: Logger;
  timers: ControllerTimers;
  /** Fails a write not answered in time with REQUEST_TIMED_OUT; none: it waits as long as the quorum does. */
  requestTimeoutMs?: number;
  /** Whether the controller takes writes now, asked when a write's turn comes. */
  isActive: () => boolean;
  /** A proposal of the current generation failed: the controller cannot go on from its latest image. */
  onProposalFailed: (error: unknown) => void;
}

export class ControllerWrites {
  private queue: Promise<void> = Promise.resolve();
  private latestImage: MetadataImage;
  /** Bumped whenever leadership is lost: answers of an older generation are not given. */
  private currentGeneration = 0;
  /** Settles when everything proposed so far is committed and applied; rejects if that failed. */
  private lastProposal: Promise<bigint> = Promise.resolve(-1n);

  constructor(private readonly options: ControllerWritesOptions) {
    this.latestImage = options.committed.image;
  }

  /** The latest image, uncommitted records of this controller included. */
  get latest(): MetadataImage {
    return this.latestImage;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  /** Starts from the committed image, with nothing in flight (the controller just activated). */
  resetToCommitted(): void {
    this.latestImage = this.options.committed.image;
    this.lastProposal = Promise.resolve(this.latestImage.offset);
  }

  /** Leadership went: uncommitted records are forgotten, and what is in flight is answered NOT_CONTROLLER. */
  revert(): void {
    this.currentGeneration++;
    this.resetToCommitted();
  }

  /** Runs `step` after every step queued before it. */
  enqueue(step: () => void | Promise<void>): void {
    this.queue = this.queue
      .then(step)
      .catch((error) => this.options.log.error("controller step failed", { error: String(error) }));
  }

  write<T>(name: string, compute: Compute<T>): Promise<T> {
    const answer = new Promise<T>((resolve, reject) => {
      this.enqueue(() => {
        if (!this.options.isActive()) {
          reject(new NotControllerError());
          return;
        }
        let result: ControllerResult<T>;
        try {
          result = compute(this.latestImage);
        } catch (error) {
          this.options.log.error("controller operation failed", { operation: name, error: String(error) });
          reject(new ControllerError(ErrorCode.UNKNOWN_SERVER_ERROR, `${name} failed: ${String(error)}`));
          return;
        }
        const generation = this.currentGeneration;
        const committed = result.records.length === 0 ? this.lastProposal : this.propose(result.records);
        committed.then(
          (offset) => {
            if (generation !== this.currentGeneration) {
              reject(new NotControllerError());
              return;
            }
            result.afterCommit?.(offset);
            resolve(result.response);
          },
          () => reject(new NotControllerError()),
        );
      });
    });
    const timeoutMs = this.options.requestTimeoutMs;
    if (timeoutMs === undefined) return answer;
    return new Promise<T>((resolve, reject) => {
      const cancel = this.options.timers.after(timeoutMs, () =>
        reject(
          new ControllerError(
            ErrorCode.REQUEST_TIMED_OUT,
            `${name} was not committed within ${timeoutMs} ms: the controller quorum may have no majority`,
          ),
        ),
      );
      answer.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  /** Applies the records to the latest image and proposes them; settles once committed and applied. */
  private propose(records: MetadataRecord[]): Promise<bigint> {
    const generation = this.currentGeneration;
    const { committed, encode } = this.options;
    this.latestImage = applyUncommitted(this.latestImage, records);
    let proposal: Promise<bigint>;
    try {
      proposal = this.options.propose(records.map((r) => encode(r)));
    } catch (error) {
      proposal = Promise.reject(error);
    }
    const applied = proposal.then((offset) => committed.waitForOffset(offset).then(() => offset));
    applied.then(
      () => {
        // Nothing proposed since: the committed image is the latest, now with the registration offsets.
        if (generation === this.currentGeneration && this.lastProposal === applied) this.latestImage = committed.image;
      },
      (error) => {
        if (generation === this.currentGeneration) this.options.onProposalFailed(error);
      },
    );
    this.lastProposal = applied;
    return applied;
  }
}
