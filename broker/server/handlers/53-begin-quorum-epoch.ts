// BeginQuorumEpoch: a newly elected leader of the controller quorum announces itself (KIP-595).
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const beginQuorumEpochHandler = defineHandler(Apis.BeginQuorumEpoch, (request, { broker }) =>
  broker.raft.handleBeginQuorumEpoch(request),
);
