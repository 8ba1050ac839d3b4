// EndQuorumEpoch: the controller quorum's leader is stepping down and asks for a prompt election,
// naming its preferred successors (KIP-595).
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const endQuorumEpochHandler = defineHandler(Apis.EndQuorumEpoch, (request, { broker }) =>
  broker.raft ? broker.raft.handleEndQuorumEpoch(request) : { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, topics: [] },
);
