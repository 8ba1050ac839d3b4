// Mutated copies of real kafkajs request frames, as a buggy client would send them, for the
// mutated-requests acceptance test: every integer field at its maximum, then random mutations.
// The recording and the mutations themselves are the wire fuzzer's (fuzz/).

import { connect, type Socket } from "node:net";
import { seededRandom } from "../../seed/load/workload.ts";
import { integerFieldsOf, type RequestFrame } from "./fuzz/frame-fields.ts";
import { mutateFrame, wireBytes, withFieldAtMaximum } from "./fuzz/frame-mutations.ts";

export type { RequestFrame } from "./fuzz/frame-fields.ts";
export { recordKafkajsRequests } from "./fuzz/recorded-sessions.ts";

/**
 * `total` mutated copies of `frames`: first every integer field of every frame at its maximum
 * (so each length, count and size is tried at least once), then random mutations from `seed`.
 */
export function mutationPlan(frames: readonly RequestFrame[], total: number, seed: number): Buffer[] {
  const plan: Buffer[] = [];
  const fields = frames.map(integerFieldsOf);
  frames.forEach((frame, i) => {
    for (const field of fields[i]!) plan.push(wireBytes(withFieldAtMaximum(frame, field)));
  });
  const random = seededRandom(seed);
  while (plan.length < total) {
    const i = Math.floor(random() * frames.length);
    plan.push(wireBytes(mutateFrame(frames[i]!, fields[i]!, random)));
  }
  return plan.slice(0, total);
}

/**
 * Sends `bytes` on a fresh connection and ends it once the broker answers or closes, or after
 * `patienceMs` (a request the broker may legitimately hold, such as a long-polling fetch, is not
 * waited out). Resolves with what happened.
 */
export function sendOnce(
  address: string,
  bytes: Buffer,
  patienceMs: number,
): Promise<"answered" | "closed" | "silent" | "refused"> {
  const [host, port] = address.split(":");
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket | undefined;
    const finish = (outcome: "answered" | "closed" | "silent" | "refused"): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish("silent"), patienceMs);
    socket = connect(Number(port), host!, () => socket!.write(bytes));
    socket.on("data", () => finish("answered"));
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => finish(error.code === "ECONNREFUSED" ? "refused" : "closed"));
  });
}
