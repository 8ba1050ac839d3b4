// The ISR of a partition this broker leads, as Kafka's Partition keeps it (its PartitionState):
// either committed — what the controller last said — or pending, while one proposed change is
// out with the controller (AlterPartition). A pending expansion counts its new member at once in
// the maximal ISR (a larger ISR only makes the high watermark stricter, so a refused proposal costs
// nothing); a pending shrink does not (a refused one must not have let the high watermark move).
// While a change is pending no other is proposed. The controller's answer commits the proposal,
// reverts it (OPERATION_NOT_ATTEMPTED, INELIGIBLE_REPLICA: nothing was applied), leaves it pending
// until new metadata replaces it (this broker's view is stale), or is retried after a backoff.
//
// Ownership: an IsrState belongs to one PartitionState, which commits metadata into it and asks it
// to propose. An answer is applied only if the proposal it answers is still the pending one:
// metadata that arrived meanwhile (commit) makes it out of date.
import { ErrorCode } from "../../protocol/errors.ts";
import type { FetchExpiry } from "../fetch/delayed-fetch.ts";
import type { Logger } from "../logger.ts";

const retryBackoffMs = 100;

export interface AlterPartitionProposal {
  topic: string;
  topicId: Buffer;
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  /** The partition epoch the proposal was made from: the controller refuses it once stale. */
  partitionEpoch: number;
  newIsr: readonly number[];
}

export interface AlterPartitionUpdate {
  kind: "updated";
  leaderEpoch: number;
  partitionEpoch: number;
  isr: readonly number[];
}

export type AlterPartitionResult = AlterPartitionUpdate | { kind: "error"; errorCode: number };

/** Where ISR changes go: the controller, through AlterPartition. */
export interface AlterPartitionSender {
  submit(proposal: AlterPartitionProposal): Promise<AlterPartitionResult>;
}

type Phase =
  | { kind: "committed"; isr: readonly number[] }
  | {
      kind: "pending-expand" | "pending-shrink";
      isr: readonly number[];
      maximalIsr: readonly number[];
      proposal: AlterPartitionProposal;
    };

export class IsrState {
  #phase: Phase = { kind: "committed", isr: [] };

  constructor(
    private readonly sender: AlterPartitionSender,
    private readonly timers: FetchExpiry,
    private readonly log: Logger,
    /** Called once a proposal is committed by the controller's answer (the ISR is then `update.isr`). */
    private readonly onCommitted: (update: AlterPartitionUpdate) => void,
  ) {}

  /** The ISR as last committed. */
  get isr(): readonly number[] {
    return this.#phase.isr;
  }

  /** The ISR plus a member whose joining is pending. */
  get maximalIsr(): readonly number[] {
    return this.#phase.kind === "committed" ? this.#phase.isr : this.#phase.maximalIsr;
  }

  get isPending(): boolean {
    return this.#phase.kind !== "committed";
  }

  /** The ISR as the metadata says; a pending proposal is forgotten (its answer, if any, will be ignored). */
  commit(isr: readonly number[]): void {
    this.#phase = { kind: "committed", isr: [...isr] };
  }

  /** Proposes `proposal.newIsr`, an expansion (counted at once) or a shrink (counted once committed). */
  propose(kind: "expand" | "shrink", proposal: AlterPartitionProposal): void {
    if (this.#phase.kind !== "committed") throw new Error("an ISR change is already pending");
    const isr = this.#phase.isr;
    this.#phase =
      kind === "expand"
        ? { kind: "pending-expand", isr, maximalIsr: proposal.newIsr, proposal }
        : { kind: "pending-shrink", isr, maximalIsr: isr, proposal };
    this.#submit(proposal);
  }

  #submit(proposal: AlterPartitionProposal): void {
    const pending = this.#phase;
    this.sender.submit(proposal).then(
      (result) => {
        if (this.#phase !== pending || pending.kind === "committed") return;
        if (result.kind === "updated") this.#applyUpdate(pending.proposal, result);
        else if (this.#shouldRetry(result.errorCode, pending.isr)) this.#retry(proposal);
      },
      (error: unknown) => {
        if (this.#phase !== pending) return;
        this.log.warn("AlterPartition failed; retrying", {
          topic: proposal.topic,
          partition: proposal.partition,
          error: error instanceof Error ? error.message : String(error),
        });
        this.#retry(proposal);
      },
    );
  }

  #retry(proposal: AlterPartitionProposal): void {
    const pending = this.#phase;
    this.timers.start(retryBackoffMs, () => {
      if (this.#phase === pending) this.#submit(proposal);
    });
  }

  #applyUpdate(proposal: AlterPartitionProposal, update: AlterPartitionUpdate): void {
    // An answer for another epoch leaves the proposal pending until new metadata replaces it, as Kafka does.
    if (update.leaderEpoch !== proposal.leaderEpoch || update.partitionEpoch < proposal.partitionEpoch) return;
    this.#phase = { kind: "committed", isr: [...update.isr] };
    this.onCommitted(update);
  }

  /** Kafka's handling of a refused AlterPartition: true means send it again. */
  #shouldRetry(errorCode: number, committedIsr: readonly number[]): boolean {
    switch (errorCode) {
      case ErrorCode.OPERATION_NOT_ATTEMPTED:
      case ErrorCode.INELIGIBLE_REPLICA:
        // The controller says the partition epoch is right and nothing was applied: back to the committed ISR.
        this.#phase = { kind: "committed", isr: committedIsr };
        return false;
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      case ErrorCode.UNKNOWN_TOPIC_ID:
      case ErrorCode.FENCED_LEADER_EPOCH:
      case ErrorCode.INVALID_UPDATE_VERSION:
      case ErrorCode.INVALID_REQUEST:
      case ErrorCode.NEW_LEADER_ELECTED:
        // This broker's view is out of date: stay pending until the metadata catches up.
        return false;
      default:
        return true;
    }
  }
}
