// Vote: a candidate of the controller quorum asks this replica for its vote (KIP-595). The broker's
// Raft node decides.
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const voteHandler = defineHandler(Apis.Vote, (request, { broker }) => broker.raft.handleVote(request));
