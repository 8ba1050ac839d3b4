// The SSE reader parses a stream as browsers do, whatever the chunking: events split across
// chunks, several data lines, ids, comments, CRLF line ends.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSse, type SseMessage } from "../../../apps/console/sse-reader.ts";

async function* chunks(text: string, size: number): AsyncIterable<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

const stream =
  ": stream open\n\n" +
  'id: 0-1\nevent: cluster\ndata: {"kind":"leader-changed","cause":"ü"}\n\n' +
  "data: line one\r\ndata: line two\r\n\r\n" +
  ": ping\n\n" +
  "event: cluster\ndata:no space\n\n" +
  "event: ignored\n\n";

describe("readSse", () => {
  for (const size of [1, 3, 7, 1024]) {
    it(`when the stream comes in chunks of ${size} bytes, then every event is read whole, in order`, async () => {
      const messages: SseMessage[] = [];
      await readSse(chunks(stream, size), (message) => messages.push(message));
      assert.deepEqual(messages, [
        { event: "cluster", id: "0-1", data: '{"kind":"leader-changed","cause":"ü"}' },
        { event: "message", id: "0-1", data: "line one\nline two" },
        { event: "cluster", id: "0-1", data: "no space" },
      ]);
    });
  }
});
