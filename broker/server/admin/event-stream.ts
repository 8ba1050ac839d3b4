// GET /v1/events: the broker's event journal as Server-Sent Events. A client gets the kept history
// first — after the event it names in Last-Event-ID (what a reconnecting EventSource sends) or in
// ?after= — then every event as it is recorded: `id:` the event id, `event: cluster`, `data:` the
// event as JSON. A comment line every 15 s keeps idle proxies and the browser from timing it out.
//
// Ownership: each stream owns its journal subscription and its ping timer, both released when the
// client goes, when the server ends it (stop), or when the client reads too slowly: past
// maxBufferedBytes unsent, the stream is ended and the client reconnects from its last id, rather
// than the broker holding an unbounded backlog for it.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClusterEvent, EventJournal } from "./cluster-events.ts";

export interface EventStreamOptions {
  /** Default 15 s. */
  pingIntervalMs?: number;
  /** Default 1 MiB. */
  maxBufferedBytes?: number;
}

/** The id a client asks to resume after: Last-Event-ID wins over ?after=. */
export function resumeAfter(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers["last-event-id"];
  const lastEventId = Array.isArray(header) ? header[0] : header;
  return lastEventId || url.searchParams.get("after") || undefined;
}

export function frameOf(event: ClusterEvent): string {
  return `id: ${event.id}\nevent: cluster\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Serves one client until it goes; returns how to end the stream from the server's side. */
export function streamEvents(
  journal: EventJournal,
  request: IncomingMessage,
  response: ServerResponse,
  afterId: string | undefined,
  options: EventStreamOptions = {},
): () => void {
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let ended = false;
  let unsubscribe = (): void => {};
  let ping: NodeJS.Timeout | undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(ping);
    response.end();
  };
  // The history goes out whole; past it, a client that does not read is not kept up with.
  const sendLive = (text: string): void => {
    if (ended) return;
    response.write(text);
    if (response.writableLength > maxBufferedBytes) end();
  };
  // History and subscription happen in one synchronous step: no event falls between them or comes twice.
  response.write(journal.history(afterId).map(frameOf).join("") || ": no events yet\n\n");
  unsubscribe = journal.subscribe((event) => sendLive(frameOf(event)));
  ping = setInterval(() => sendLive(": ping\n\n"), options.pingIntervalMs ?? 15_000);
  ping.unref();
  request.on("close", end);
  response.on("close", end);
  return end;
}
