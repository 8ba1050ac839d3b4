// EndQuorumEpoch: the controller quorum's leader is stepping down and asks for a prompt election,
// naming its preferred successors (KIP-595).
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const endQuorumEpochHandler = defineHandler(Apis.EndQuorumEpoch, (request, { broker }) =>
  broker.raft.handleEndQuorumEpoch(request),
);
