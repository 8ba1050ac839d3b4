// The faults a process can suffer, by pid: a crash (SIGKILL: no shutdown work at all, as kill -9),
// a pause (SIGSTOP: the process keeps its sockets but answers nothing, as in a long GC pause or a
// stalled VM) and the resume (SIGCONT). A pause is awaited until the kernel reports the process
// stopped, so whatever the caller does next happens while it is really frozen. And what a process
// holds, as the soak samples it: resident memory and open file descriptors.
//
// Ownership: none; the processes belong to whoever started them (the cluster launcher).
import { readdirSync, readFileSync } from "node:fs";
import { waitUntil } from "./wait-until.ts";

/**
 * The process's state letter from /proc/<pid>/stat ("R", "S", "T" stopped, "Z" zombie, ...), or
 * null when there is no such process (or no /proc).
 */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name, in parentheses, may contain spaces: the state follows its closing one.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * The process's resident memory (VmRSS in /proc/<pid>/status) and open file descriptors (the
 * entries of /proc/<pid>/fd), or null when there is no such process or it is a zombie. Reading
 * another user's fd directory needs the rights to ptrace it: the soak reads its own children.
 */
export function processUsage(pid: number): { rssBytes: number; openFds: number } | null {
  try {
    const rssKb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    if (rssKb === undefined) return null; // a zombie has no memory left to report
    return { rssBytes: Number(rssKb) * 1024, openFds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return null;
  }
}

/**
 * The CPU time the process has used so far, user plus system, in clock ticks (utime and stime, the
 * 14th and 15th fields of /proc/<pid>/stat), or null when there is no such process. Ticks, not
 * seconds: the caller divides by `getconf CLK_TCK` (100 on Linux as built).
 */
export function processCpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the parenthesised command name: state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

/** Whether the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== "Z" && state !== "X";
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false; // gone already
  }
}

/** The pids of the processes whose command line has `--data-dir <dataDir>` (a broker's, by its data dir). */
export function pidsWithDataDir(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const at = args.indexOf("--data-dir");
      if (at >= 0 && args[at + 1] === dataDir && isAlive(Number(entry))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Waits for the process the launcher starts in place of `oldPid` (the same data dir) and pauses it
 * at once, long before it can listen: a broker killed with kill -9 then stays away, as if its
 * machine were down, until `resume`.
 */
export async function holdRestarted(dataDir: string, oldPid: number, timeoutMs = 30_000): Promise<number> {
  let pid: number | undefined;
  await waitUntil(() => (pid = pidsWithDataDir(dataDir).find((p) => p !== oldPid)) !== undefined, {
    timeoutMs,
    intervalMs: 5,
    message: `a new process on ${dataDir} after pid ${oldPid}`,
  });
  await pause(pid!);
  return pid!;
}

/** kill -9, then waits until the process is gone (or a zombie its parent has yet to reap). */
export async function crash(pid: number): Promise<void> {
  signal(pid, "SIGKILL");
  await waitUntil(() => !isAlive(pid), { timeoutMs: 10_000, message: `process ${pid} gone after SIGKILL` });
}

/** SIGSTOP, then waits until the kernel reports the process stopped. */
export async function pause(pid: number): Promise<void> {
  if (!signal(pid, "SIGSTOP")) throw new Error(`cannot pause process ${pid}: it is gone`);
  await waitUntil(() => ["T", "t", null].includes(processState(pid)), {
    timeoutMs: 10_000,
    message: `process ${pid} stopped after SIGSTOP`,
  });
}

/** SIGCONT; harmless for a process that is not paused or is gone. */
export function resume(pid: number): void {
  signal(pid, "SIGCONT");
}
