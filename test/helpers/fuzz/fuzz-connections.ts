// Sending fuzz frames to a broker and judging what comes back. A short-lived connection carries
// one frame; a pipelined one carries many back to back. Either way the broker may answer, close
// the connection, or hold a request (a long poll, a rebalance, a frame whose size prefix promises
// bytes that never come); what it must never do is answer with a correlation id it was not sent,
// out of order, or a frame of an impossible size. Violations are collected, not thrown, so a run
// reports them all.

import { connect, type Socket } from "node:net";
import { FrameReader } from "../../../broker/protocol/frame-reader.ts";

/** One frame as it goes on the wire. */
export interface WireFrame {
  bytes: Buffer;
  /** Its size prefix matches its body: the frames after it on the same connection stay aligned. */
  framed: boolean;
  /** The correlation id written into its header; null for a frame too short to carry one. */
  correlationId: number | null;
  /** Where it came from (the fuzzer's mix), for the report of a violation. */
  origin: string;
}

export type ConnectionOutcome = "answered" | "closed" | "held" | "refused";

export interface ConnectionTally {
  connections: number;
  frames: number;
  responses: number;
  /** Connections by how they ended: every frame answered, closed by the broker, held past patience, refused. */
  outcomes: Record<ConnectionOutcome, number>;
  /** What the broker did wrong; empty when it behaved. */
  violations: string[];
}

export const emptyTally = (): ConnectionTally => ({
  connections: 0,
  frames: 0,
  responses: 0,
  outcomes: { answered: 0, closed: 0, held: 0, refused: 0 },
  violations: [],
});

/** No answer of this broker to these requests comes near this size: a larger prefix is a broken stream. */
const LARGEST_SANE_RESPONSE = 256 * 1024 * 1024;
/** Violations kept in full; beyond, only counted (a broken broker would otherwise fill memory). */
const VIOLATIONS_KEPT = 50;
/** Bytes of each frame a violation shows, enough for its header and the start of its body. */
const BYTES_SHOWN = 160;

/** A frame as a violation shows it: origin, API key and version, sizes, and its first bytes in hex. */
export function describeFrame(frame: WireFrame): string {
  const { bytes } = frame;
  const header = bytes.length >= 8 ? ` api ${bytes.readInt16BE(4)} v${bytes.readInt16BE(6)}` : "";
  const prefix = bytes.length >= 4 ? bytes.readInt32BE(0) : null;
  const shown = bytes.subarray(0, BYTES_SHOWN).toString("hex");
  return `${frame.origin}${header}, ${bytes.length - 4} bytes, prefix ${prefix}: ${shown}${bytes.length > BYTES_SHOWN ? "…" : ""}`;
}

/**
 * Opens a connection to `address`, writes `frames` back to back and waits until each is answered,
 * the broker closes, or `patienceMs` pass without a byte from it. Answers must come in the order
 * the frames were sent, each with its frame's correlation id. Once a frame's prefix disagrees with
 * its body, the broker reads the bytes after it as frames we never wrote: an answer we cannot place
 * may then be the answer to one of those, so it ends the judging instead of counting as a violation.
 */
export function exchange(
  address: string,
  frames: readonly WireFrame[],
  patienceMs: number,
  tally: ConnectionTally,
): Promise<ConnectionOutcome> {
  const [host, port] = address.split(":");
  tally.connections++;
  tally.frames += frames.length;
  // The ids the broker may answer, in order: those of the frames up to the first misaligned one.
  const expected: number[] = [];
  for (const frame of frames) {
    if (frame.correlationId !== null) expected.push(frame.correlationId);
    if (!frame.framed) break;
  }
  const allAligned = frames.every((f) => f.framed);
  const violation = (text: string): void => {
    if (tally.violations.length < VIOLATIONS_KEPT) tally.violations.push(text);
    else tally.violations[VIOLATIONS_KEPT - 1] = `${text} (and more)`;
  };
  return new Promise((resolve) => {
    let settled = false;
    let next = 0;
    let checkUntil = expected.length;
    let timer: NodeJS.Timeout | undefined;
    let socket: Socket | undefined;
    const finish = (outcome: ConnectionOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      tally.outcomes[outcome]++;
      resolve(outcome);
    };
    const patience = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => finish("held"), patienceMs);
    };
    const answers = new FrameReader(
      { minSize: 4, maxSize: LARGEST_SANE_RESPONSE, preallocateUpTo: 64 * 1024 },
      (payload) => {
        tally.responses++;
        const correlationId = payload.readInt32BE(0);
        if (next < checkUntil) {
          // Frames may go unanswered (acks=0), never answered out of order or under another id.
          const at = expected.indexOf(correlationId, next);
          if (at >= 0) next = at + 1;
          else {
            if (allAligned)
              violation(
                `answer with correlation id ${correlationId}, expected one of [${expected.slice(next).join(",")}]; ` +
                  `frames sent: ${frames.map(describeFrame).join(" | ")}`,
              );
            checkUntil = next; // the stream is not ours to judge any further
          }
        }
        if (next >= expected.length && allAligned) finish("answered");
      },
      (size) => {
        violation(
          `answer with an impossible size prefix ${size}; frames sent: ${frames.map(describeFrame).join(" | ")}`,
        );
        finish("closed");
      },
    );
    socket = connect(Number(port), host!, () => {
      for (const frame of frames) socket!.write(frame.bytes);
      patience();
    });
    socket.on("data", (chunk: Buffer) => {
      patience();
      answers.push(chunk);
    });
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code === "ECONNREFUSED" ? "refused" : "closed"));
    timer = setTimeout(() => finish("held"), patienceMs * 4); // connecting at all
  });
}
