// BeginQuorumEpoch: a newly elected leader of the controller quorum announces itself (KIP-595).
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const beginQuorumEpochHandler = defineHandler(Apis.BeginQuorumEpoch, (request, { broker }) =>
  broker.raft ? broker.raft.handleBeginQuorumEpoch(request) : { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, topics: [] },
);
