// A group member in a child process (group-member.ts), so a test can SIGKILL it like a crashed
// consumer; what it reports on stdout (its assignment after each join, the messages it handles) is
// followed here.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { entryPointArgs } from "../../apps/shared/entry-point.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const memberFixture = fileURLToPath(new URL("./group-member.ts", import.meta.url));

export interface ChildMember {
  process: ChildProcess;
  /** Latest assignment the child reported; undefined before its first join. */
  partitions(): number[] | undefined;
  received(): Array<{ partition: number; offset: string; value: string }>;
  /** Its stdout and stderr, for failure messages. */
  output(): string;
  /** SIGKILL, resolved once it has exited. */
  kill(): Promise<void>;
}

/**
 * Starts a member of `groupId` on `topic`: without `kind` a kafkajs consumer built directly (the
 * acceptance suite's), with it a client of that kind from the app-facing factory.
 */
export function spawnChildMember(
  kind: "kafkajs" | "ours" | undefined,
  address: string,
  groupId: string,
  topic: string,
  sessionTimeout: number,
): ChildMember {
  // node with tsx's loader, not tsx's CLI: the CLI's SIGKILL would not reach the grandchild.
  const child = spawn(
    process.execPath,
    [...entryPointArgs(memberFixture), address, groupId, topic, String(sessionTimeout), ...(kind ? [kind] : [])],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, KAFKA_BROKERS: "" },
    },
  );
  let partitions: number[] | undefined;
  const received: Array<{ partition: number; offset: string; value: string }> = [];
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    log += `${line}\n`;
    let event: { event?: string; partitions?: number[]; partition?: number; offset?: string; value?: string };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.event === "assignment") partitions = event.partitions;
    if (event.event === "message")
      received.push({ partition: event.partition!, offset: event.offset!, value: event.value! });
  });
  return {
    process: child,
    partitions: () => partitions,
    received: () => received,
    output: () => log,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
