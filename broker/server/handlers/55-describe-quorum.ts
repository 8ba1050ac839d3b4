// DescribeQuorum: the controller quorum's leader, epoch, high watermark and each replica's
// progress, as the leader knows them (kafka-metadata-quorum describe). Other replicas answer
// NOT_LEADER_OR_FOLLOWER with the leader they know.
import { Apis } from "../../protocol/apis.ts";
import { defineHandler } from "./handler.ts";

export const describeQuorumHandler = defineHandler(Apis.DescribeQuorum, (request, { broker }) =>
  broker.raft.handleDescribeQuorum(request),
);
