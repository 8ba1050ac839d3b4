import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { type ClusterEvent, EventJournal } from "../../../../broker/server/admin/cluster-events.ts";
import { resumeAfter, streamEvents } from "../../../../broker/server/admin/event-stream.ts";
import { waitFor } from "../../../helpers/wait.ts";
import { readSse } from "./admin-fixture.ts";

/** A journal that counts its live subscribers, so a test sees a stream let go of its subscription. */
class CountingJournal extends EventJournal {
  liveSubscribers = 0;
  override subscribe(listener: (event: ClusterEvent) => void): () => void {
    this.liveSubscribers += 1;
    const unsubscribe = super.subscribe(listener);
    return () => {
      this.liveSubscribers -= 1;
      return unsubscribe();
    };
  }
}

describe("streamEvents", () => {
  const journal = new CountingJournal({ broker: 4 });
  let server: Server;
  let url: string;

  before(async () => {
    server = createServer((request, response) => {
      const parsed = new URL(request.url ?? "/", "http://test");
      streamEvents(journal, request, response, resumeAfter(request, parsed), { pingIntervalMs: 50 });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`;
    for (const n of [1, 2, 3]) journal.record({ kind: "member-joined", cause: `member ${n} joined`, group: "g" });
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("when a client connects, then it gets the history first, then each event as it is recorded, as cluster frames with the event id", async () => {
    const stream = await readSse(url);
    try {
      assert.equal(stream.response.headers["content-type"], "text/event-stream; charset=utf-8");
      await waitFor(() => stream.events().length === 3, { message: "the three kept events" });
      journal.record({ kind: "rebalance-completed", cause: "all members joined", group: "g", generation: 2 });
      await waitFor(() => stream.events().length === 4, { message: "the live event" });
      assert.deepEqual(
        stream.events<ClusterEvent>().map((e) => e.cause),
        ["member 1 joined", "member 2 joined", "member 3 joined", "all members joined"],
      );
      const frames = stream.frames.filter((f) => f.event === "cluster");
      assert.deepEqual(
        frames.map((f) => f.id),
        stream.events<ClusterEvent>().map((e) => e.id),
      );
      assert.equal(stream.events<ClusterEvent>()[3]!.generation, 2);
    } finally {
      stream.close();
    }
  });

  it("when a client resumes with Last-Event-ID or ?after=, then the history starts after that event", async () => {
    const [, second] = journal.history();
    const byHeader = await readSse(url, { "last-event-id": second!.id });
    const byQuery = await readSse(`${url}?after=${second!.id}`);
    try {
      const expected = journal.history(second!.id).map((e) => e.id);
      assert.ok(expected.length > 0);
      await waitFor(() => byHeader.events().length === expected.length && byQuery.events().length === expected.length);
      assert.deepEqual(
        byHeader.events<ClusterEvent>().map((e) => e.id),
        expected,
      );
      assert.deepEqual(
        byQuery.events<ClusterEvent>().map((e) => e.id),
        expected,
      );
    } finally {
      byHeader.close();
      byQuery.close();
    }
  });

  it("when the stream is idle, then comment pings keep it open", async () => {
    const stream = await readSse(url);
    try {
      await waitFor(() => stream.frames.some((f) => f.comment === ": ping"), { message: "a ping comment" });
    } finally {
      stream.close();
    }
  });

  it("when the client goes, then its subscription to the journal ends", async () => {
    await waitFor(() => journal.liveSubscribers === 0, { message: "earlier streams to let go" });
    const stream = await readSse(url);
    await waitFor(() => journal.liveSubscribers === 1, { message: "the stream to subscribe" });
    stream.close();
    await waitFor(() => journal.liveSubscribers === 0, { message: "the stream to unsubscribe" });
  });
});
