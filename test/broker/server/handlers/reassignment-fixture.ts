// Broker state for the reassignment handlers' tests: a ForwardingManager whose local controller is
// active and answers from a fixed metadata image with the controller's own reassignment functions,
// or one that forwards to a controller elsewhere through a channel that relays, or that no
// controller answers.
import type { ControllerError } from "../../../../broker/controller/controller-result.ts";
import {
  alterPartitionReassignments,
  type ListedTopic,
  listPartitionReassignments,
  type ReassignableTopic,
} from "../../../../broker/controller/partition-reassignment.ts";
import type { QuorumController } from "../../../../broker/controller/quorum-controller.ts";
import type { ApiDefinition } from "../../../../broker/protocol/apis.ts";
import type { BrokerState } from "../../../../broker/server/broker-state.ts";
import { ForwardingManager } from "../../../../broker/server/forwarding-manager.ts";
import type { RequestContext } from "../../../../broker/server/handlers/handler.ts";
import type { MetadataImage } from "../../../../broker/server/metadata/metadata-image.ts";
import {
  type ControllerChannel,
  ControllerUnavailableError,
} from "../../../../broker/server/node-to-controller-channel.ts";

const localId = 1;

function contextWith(forwarding: ForwardingManager): RequestContext {
  const broker = { kraft: { forwarding } } as unknown as BrokerState;
  return { broker, apiVersion: 0, clientId: "admin", clientHost: "127.0.0.1" };
}

/** This broker runs the active controller, whose latest image is `image` (or whose calls throw `failure`). */
export function atActiveController(image: MetadataImage, failure?: ControllerError): RequestContext {
  const answer = <T>(compute: () => T) => (failure ? Promise.reject(failure) : Promise.resolve(compute()));
  const controller = {
    isActive: true,
    alterPartitionReassignments: (topics: ReassignableTopic[]) =>
      answer(() => alterPartitionReassignments(image, topics).response),
    listPartitionReassignments: (topics: ListedTopic[] | null) =>
      answer(() => listPartitionReassignments(image, topics)),
  } as unknown as QuorumController;
  const unused: ControllerChannel = { send: () => Promise.reject(new Error("nothing is forwarded")), close() {} };
  return contextWith(new ForwardingManager(localId, controller, () => localId, unused));
}

/** Another broker is the active controller: requests go through `channel`, which notes them in `sent`. */
export function atOtherBroker(answer: "relays" | "times out") {
  const sent: { api: string; request: unknown }[] = [];
  const relayed = { relayedBy: "the active controller" };
  const channel: ControllerChannel = {
    send<Req, Res>(api: ApiDefinition<Req, Res>, request: Req): Promise<Res> {
      sent.push({ api: api.name, request });
      return answer === "relays"
        ? Promise.resolve(relayed as Res)
        : Promise.reject(new ControllerUnavailableError("no controller answered in time"));
    },
    close() {},
  };
  return { context: contextWith(new ForwardingManager(localId, undefined, () => 0, channel)), sent, relayed };
}
