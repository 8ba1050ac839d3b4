// Where a KRaft broker's metadata-changing requests go (Kafka's ForwardingManager): clients send
// CreateTopics, DeleteTopics and CreatePartitions to any broker (kafkajs to the controller id
// Metadata names, which may be stale); the active controller runs them, every other broker
// forwards the request unchanged and relays the controller's answer.
//
// Holds no state: the controller and the channel own theirs.
import type { QuorumController } from "../controller/quorum-controller.ts";
import type { ApiDefinition } from "../protocol/apis.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { type ControllerChannel, ControllerUnavailableError } from "./node-to-controller-channel.ts";

/**
 * How a forwarded request is answered when no controller answers it in time (no quorum, say):
 * its own timeoutMs bounds the wait, and the client gets REQUEST_TIMED_OUT, as Kafka's forwarding
 * answers, rather than a dropped connection.
 */
export interface ForwardingRefusal<Res> {
  /** The request's timeoutMs; 0 or less: the channel's own deadline. */
  timeoutMs: number;
  answer(errorCode: number, errorMessage: string): Res;
}

export class ForwardingManager {
  constructor(
    private readonly localId: number,
    private readonly controller: QuorumController | undefined,
    private readonly activeControllerId: () => number | null,
    private readonly channel: ControllerChannel,
  ) {}

  /**
   * Runs `local` when this node is (or is becoming) the active controller; otherwise sends `request`
   * to the active controller. A controller still activating queues the request until it is active
   * (or answers NOT_CONTROLLER if it loses the election), rather than forwarding it back to itself.
   * With `refusal`, a forwarded request no controller answers in time gets the refusal's answer.
   */
  route<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    local: (controller: QuorumController) => Promise<Res>,
    refusal?: ForwardingRefusal<Res>,
  ): Promise<Res> {
    const controller = this.controller;
    if (controller && (controller.isActive || this.activeControllerId() === this.localId)) return local(controller);
    if (!refusal) return this.channel.send(api, request);
    const timeoutMs = refusal.timeoutMs > 0 ? refusal.timeoutMs : undefined;
    return this.channel.send(api, request, { timeoutMs }).catch((error: unknown) => {
      if (!(error instanceof ControllerUnavailableError)) throw error;
      return refusal.answer(ErrorCode.REQUEST_TIMED_OUT, error.message);
    });
  }
}
