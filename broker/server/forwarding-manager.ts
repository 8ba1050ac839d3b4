// Where a KRaft broker's metadata-changing requests go (Kafka's ForwardingManager): clients send
// CreateTopics, DeleteTopics and CreatePartitions to any broker (kafkajs to the controller id
// Metadata names, which may be stale); the active controller runs them, every other broker
// forwards the request unchanged and relays the controller's answer.
//
// Holds no state: the controller and the channel own theirs.
import type { QuorumController } from "../controller/quorum-controller.ts";
import type { ApiDefinition } from "../protocol/apis.ts";
import type { ControllerChannel } from "./node-to-controller-channel.ts";

export class ForwardingManager {
  constructor(
    private readonly localId: number,
    private readonly controller: QuorumController | undefined,
    private readonly activeControllerId: () => number | null,
    private readonly channel: ControllerChannel,
  ) {}

  /**
   * Runs `local` when this node is (or is becoming) the active controller; otherwise sends `request`
   * to the active controller. A controller that is still activating answers NOT_CONTROLLER itself,
   * rather than forwarding the request back to itself.
   */
  route<Req, Res>(
    api: ApiDefinition<Req, Res>,
    request: Req,
    local: (controller: QuorumController) => Promise<Res>,
  ): Promise<Res> {
    const controller = this.controller;
    if (controller && (controller.isActive || this.activeControllerId() === this.localId)) return local(controller);
    return this.channel.send(api, request);
  }
}
