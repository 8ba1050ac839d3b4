// The event feed merges brokers' event streams: two real HTTP servers serve two journals the way a
// broker's admin listener does (broker/server/admin/event-stream.ts). A cluster fact both report
// (same dedupKey) is kept once, the history stays in time order, the console's own fault events
// join it, a stream that drops is read again from where it was without repeats, and subscribers
// get each event once with the feed's own sequence number.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { CONSOLE_BROKER, EventFeed, type SequencedEvent } from "../../../apps/console/event-feed.ts";
import { EventJournal } from "../../../broker/server/admin/cluster-events.ts";
import { resumeAfter, streamEvents } from "../../../broker/server/admin/event-stream.ts";
import { waitFor } from "../../helpers/wait.ts";

/** A stand-in admin listener with the two routes the feed reads: /v1/broker and /v1/events. */
async function adminListener(journal: EventJournal, nodeId: number) {
  const ends = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://admin");
    if (url.pathname === "/v1/broker") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ nodeId, startedAt: 1 }));
      return;
    }
    const end = streamEvents(journal, request, response, resumeAfter(request, url));
    ends.add(end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Ends every open stream (a dropped connection, as the feed sees it). */
    drop: () => {
      for (const end of ends) end();
      ends.clear();
    },
    close: () => {
      for (const end of ends) end();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("EventFeed", () => {
  const closers: Array<() => unknown> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it("when two brokers stream, then shared facts are kept once, in time order, with the console's own events and no repeats after a drop", async () => {
    const journals = [new EventJournal({ broker: 0 }), new EventJournal({ broker: 1 })];
    const t0 = Date.now() - 1000;
    journals[0]!.record({ kind: "controller-changed", cause: "broker 0 leads", dedupKey: "raft:1", time: t0 + 10 });
    journals[1]!.record({ kind: "controller-changed", cause: "broker 0 leads", dedupKey: "raft:1", time: t0 + 11 });
    journals[1]!.record({ kind: "member-joined", cause: "member joined: c", group: "g", time: t0 + 12 });
    journals[0]!.record({ kind: "broker-fenced", cause: "broker 2 fenced", dedupKey: "md:5", time: t0 + 13 });
    const listeners = await Promise.all(journals.map((journal, id) => adminListener(journal, id)));
    for (const l of listeners) closers.push(l.close);
    const feed = new EventFeed(
      listeners.map((l, nodeId) => ({ nodeId, label: null, listener: "x", admin: l.url })),
      { retryMs: 50 },
    );
    closers.unshift(() => feed.stop());
    const live: SequencedEvent[] = [];
    feed.subscribe((entry) => live.push(entry));
    feed.start();
    await waitFor(() => feed.history().length === 3, { message: () => JSON.stringify(feed.history()) });
    // Whichever broker's copy of the shared fact came first is the one kept.
    assert.deepEqual(
      feed.history().map((e) => [e.event.kind, e.event.time - t0]),
      [
        ["controller-changed", feed.history()[0]!.event.broker === 0 ? 10 : 11],
        ["member-joined", 12],
        ["broker-fenced", 13],
      ],
    );

    const fault = feed.record("fault", "kill -9 broker 1 from the console", { subjectBroker: 1 });
    assert.equal(fault.broker, CONSOLE_BROKER);
    journals[1]!.record({ kind: "member-left", cause: "LeaveGroup", group: "g" });
    await waitFor(() => feed.history().length === 5, { message: () => JSON.stringify(feed.history()) });

    // Both streams drop; the feed reads them again after their last ids: nothing comes twice.
    for (const l of listeners) l.drop();
    journals[0]!.record({ kind: "isr-shrank", cause: "follower 2 fell behind", dedupKey: "md:9" });
    await waitFor(() => feed.history().some((e) => e.event.kind === "isr-shrank"), {
      message: "the event after the drop",
    });
    const kinds = feed.history().map((e) => e.event.kind);
    assert.deepEqual(kinds, [
      "controller-changed",
      "member-joined",
      "broker-fenced",
      "fault",
      "member-left",
      "isr-shrank",
    ]);
    assert.deepEqual(
      live.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      feed.history(4).map((e) => e.event.kind),
      ["member-left", "isr-shrank"],
    );
  });

  it("when more events come than it keeps, then the oldest go", () => {
    const feed = new EventFeed([], { capacity: 2 });
    for (const cause of ["a", "b", "c"]) feed.record("fault", cause);
    assert.deepEqual(
      feed.history().map((e) => e.event.cause),
      ["b", "c"],
    );
  });
});
