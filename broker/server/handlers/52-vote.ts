// Vote: a candidate of the controller quorum asks this replica for its vote (KIP-595). The broker's
// Raft node decides; a broker without one is not a quorum replica and says so.
import { Apis } from "../../protocol/apis.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler } from "./handler.ts";

export const voteHandler = defineHandler(Apis.Vote, (request, { broker }) =>
  broker.raft ? broker.raft.handleVote(request) : { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, topics: [] },
);
