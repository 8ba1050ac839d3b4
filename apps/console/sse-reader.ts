// Reads a Server-Sent Events stream (a broker's /v1/events) as the WHATWG spec parses one: lines
// of `field: value`, an event dispatched at each blank line, comments (`:`) ignored. Only what the
// console needs: event, id and data (several data lines joined with "\n").
//
// Ownership: none beyond the line buffer of the one stream being read.

export interface SseMessage {
  event: string;
  id: string | undefined;
  data: string;
}

/** Calls `onMessage` with each message of `body` until it ends (or the read fails: that rejects). */
export async function readSse(
  body: AsyncIterable<Uint8Array>,
  onMessage: (message: SseMessage) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let id: string | undefined;
  let data: string[] = [];
  const onLine = (line: string): void => {
    if (line === "") {
      if (data.length > 0) onMessage({ event: event || "message", id, data: data.join("\n") });
      event = "";
      data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.search(/\r\n|\n|\r/);
    // A "\r" last in the chunk may be half of a "\r\n": wait for the next chunk to tell.
    while (newline >= 0 && !(newline === buffer.length - 1 && buffer.endsWith("\r"))) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      newline = buffer.search(/\r\n|\n|\r/);
    }
  }
}
