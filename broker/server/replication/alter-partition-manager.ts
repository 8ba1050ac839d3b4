// The broker's side of AlterPartition (Kafka's DefaultAlterPartitionManager): the ISR changes its
// partition leaders propose are queued (one per partition), sent to the active controller in one
// request at a time, and each proposal is settled with the controller's answer for its partition.
// A request that fails as a whole (no controller reachable, NOT_CONTROLLER, a stale broker epoch)
// is sent again after a short backoff; a partition the answer leaves out stays queued.
//
// Ownership: the manager owns the queue and the one request in flight; how the active controller
// is reached is the ControllerChannel's business.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode, errorCodeName } from "../../protocol/errors.ts";
import type { AlterPartitionRequest, AlterPartitionResponse } from "../../protocol/messages/index.ts";
import type { FetchExpiry } from "../fetch/delayed-fetch.ts";
import type { Logger } from "../logger.ts";
import type { NodeToControllerChannel } from "../node-to-controller-channel.ts";
import type { AlterPartitionProposal, AlterPartitionResult, AlterPartitionSender } from "./partition-state.ts";

/** Requests to whichever controller is active (node-to-controller-channel.ts; tests give their own). */
export type ControllerChannel = Pick<NodeToControllerChannel, "send">;

interface Queued {
  proposal: AlterPartitionProposal;
  settle: (result: AlterPartitionResult) => void;
}

/** Kafka's backoff before sending a failed AlterPartition again. */
const retryBackoffMs = 50;

const keyOf = (topicId: Buffer, partition: number): string => `${topicId.toString("hex")}:${partition}`;

export class AlterPartitionManager implements AlterPartitionSender {
  readonly #unsent = new Map<string, Queued>();
  #inFlight = false;
  #retryScheduled = false;

  constructor(
    private readonly brokerId: number,
    /** This broker's epoch from its registration, -1 while unknown. */
    private readonly brokerEpoch: () => bigint,
    private readonly channel: ControllerChannel,
    private readonly timers: FetchExpiry,
    private readonly log: Logger,
  ) {}

  submit(proposal: AlterPartitionProposal): Promise<AlterPartitionResult> {
    const key = keyOf(proposal.topicId, proposal.partition);
    // One change per partition at a time: a second is refused unsent, as Kafka does.
    if (this.#unsent.has(key)) return Promise.resolve({ kind: "error", errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED });
    return new Promise((settle) => {
      this.#unsent.set(key, { proposal, settle });
      this.#maybeSend();
    });
  }

  #maybeSend(): void {
    if (this.#inFlight || this.#retryScheduled || this.#unsent.size === 0) return;
    this.#inFlight = true;
    const sent = [...this.#unsent.values()];
    this.channel.send(Apis.AlterPartition, this.#request(sent)).then(
      (response) => {
        this.#inFlight = false;
        if (this.#settle(sent, response)) this.#maybeSend();
        else this.#retryLater();
      },
      (error: unknown) => {
        this.#inFlight = false;
        this.log.warn("AlterPartition could not reach the controller; retrying", {
          error: error instanceof Error ? error.message : String(error),
        });
        this.#retryLater();
      },
    );
  }

  #request(sent: readonly Queued[]): AlterPartitionRequest {
    const byTopic = new Map<string, AlterPartitionRequest["topics"][number]>();
    for (const { proposal } of sent) {
      const key = proposal.topicId.toString("hex");
      let topic = byTopic.get(key);
      if (!topic) byTopic.set(key, (topic = { topicId: proposal.topicId, partitions: [] }));
      topic.partitions.push({
        partitionIndex: proposal.partition,
        leaderEpoch: proposal.leaderEpoch,
        newIsr: [...proposal.newIsr],
        leaderRecoveryState: 0,
        partitionEpoch: proposal.partitionEpoch,
      });
    }
    return { brokerId: this.brokerId, brokerEpoch: this.brokerEpoch(), topics: [...byTopic.values()] };
  }

  /** Settles what the answer covers; false when the request failed as a whole and must be sent again. */
  #settle(sent: readonly Queued[], response: AlterPartitionResponse): boolean {
    if (response.errorCode !== ErrorCode.NONE) {
      this.log.warn("AlterPartition refused as a whole; retrying", { error: errorCodeName(response.errorCode) });
      return false;
    }
    const answers = new Map<string, AlterPartitionResponse["topics"][number]["partitions"][number]>();
    for (const topic of response.topics)
      for (const partition of topic.partitions) answers.set(keyOf(topic.topicId, partition.partitionIndex), partition);
    for (const queued of sent) {
      const key = keyOf(queued.proposal.topicId, queued.proposal.partition);
      const answer = answers.get(key);
      if (!answer) continue;
      this.#unsent.delete(key);
      queued.settle(
        answer.errorCode === ErrorCode.NONE
          ? { kind: "updated", leaderEpoch: answer.leaderEpoch, partitionEpoch: answer.partitionEpoch, isr: answer.isr }
          : { kind: "error", errorCode: answer.errorCode },
      );
    }
    return true;
  }

  #retryLater(): void {
    if (this.#retryScheduled) return;
    this.#retryScheduled = true;
    this.timers.start(retryBackoffMs, () => {
      this.#retryScheduled = false;
      this.#maybeSend();
    });
  }
}
