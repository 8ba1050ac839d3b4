// Fetch: whole batches straight from the log files, up to the high watermark; a fetch that finds
// less than min_bytes waits for appends or max_wait (see fetch/delayed-fetch.ts). A controller
// quorum replica's Fetch of `__cluster_metadata` (v12+) goes to the broker's Raft node instead.
import { Apis } from "../../protocol/apis.ts";
import { isMetadataLogFetch } from "../../raft/raft-messages.ts";
import { fetchMessages, systemFetchExpiry } from "../fetch/delayed-fetch.ts";
import { defineHandler } from "./handler.ts";

/** From v11 a fetch carries client metadata (a rack), with which Kafka lets consumers read from followers. */
const clientMetadataSince = 11;

export const fetchHandler = defineHandler(Apis.Fetch, (request, { broker, apiVersion }) =>
  isMetadataLogFetch(request, apiVersion)
    ? broker.raft.handleFetch(request)
    : fetchMessages(request, broker.topics, systemFetchExpiry, apiVersion >= clientMetadataSince),
);
