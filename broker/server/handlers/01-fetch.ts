// Fetch: whole batches straight from the log files, up to the high watermark; a fetch that finds
// less than min_bytes waits for appends or max_wait (see fetch/delayed-fetch.ts).
import { Apis } from "../../protocol/apis.ts";
import { fetchMessages } from "../fetch/delayed-fetch.ts";
import { defineHandler } from "./handler.ts";

export const fetchHandler = defineHandler(Apis.Fetch, (request, { broker }) => fetchMessages(request, broker.topics));
