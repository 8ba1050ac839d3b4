// `npm run cluster` as a test runs it: a real cluster of broker processes on free loopback ports,
// started through apps/cluster.ts, with its ready lines parsed. `useClusterProcess` stops it
// (SIGTERM, then SIGKILL after a grace period) and removes its data dir after the describe block;
// `startClusterProcess` is the same for a caller outside node:test (the benchmarks), which stops it.
import { after } from "node:test";
import { entryPointArgs } from "../../apps/shared/entry-point.ts";
import { type RunningCommand, startCommand } from "./command.ts";
import { useScratchDirs } from "./scratch-dirs.ts";
import { waitFor } from "./wait.ts";

export interface ClusterBroker {
  nodeId: number;
  host: string;
  port: number;
  pid: number;
}

export interface ClusterProcess {
  /** `host:port` of every broker, by node id. */
  bootstrap: string[];
  /** Broker <id> keeps its logs in `<dataDir>/broker-<id>`. */
  dataDir: string;
  /** The latest ready line of each broker (a restart prints a new one). */
  broker(nodeId: number): ClusterBroker;
  output(): string;
  /** Resolves with the broker's next ready line after the one with `pid` (its restart). */
  restartOf(nodeId: number, pid: number, timeoutMs?: number): Promise<ClusterBroker>;
  /** SIGTERM to the launcher; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Broker properties that make failures quick to see: a broker silent for 3 s is fenced (its
 * leaderships move) and a follower 3 s behind leaves the ISR, rather than after 9 s and 30 s.
 */
export const fastFailoverConfig = {
  "replica.lag.time.max.ms": "3000",
  "broker.session.timeout.ms": "3000",
  "broker.heartbeat.interval.ms": "500",
} as const;

const readyLine = /^broker (\d+) listening on (\S+):(\d+) pid (\d+)$/gm;

/**
 * Starts `npm run cluster` with `brokers` brokers in `dataDir`; `configs` go to every broker and
 * `launcherArgs` (such as --broker-logs) to the launcher.
 */
export async function startClusterProcess(
  brokers: number,
  configs: Record<string, string | number>,
  dataDir: string,
  onStart: (command: RunningCommand) => void = () => {},
  launcherArgs: string[] = [],
): Promise<ClusterProcess> {
  const args = [...entryPointArgs("apps/cluster.ts"), "--brokers", String(brokers), "--base-port", "0"];
  args.push("--data-dir", dataDir, ...launcherArgs);
  for (const [key, value] of Object.entries(configs)) args.push("--config", `${key}=${value}`);
  const command = startCommand(process.execPath, args);
  onStart(command);
  const readyLines = (): ClusterBroker[] =>
    [...command.stdout().matchAll(readyLine)].map((m) => ({
      nodeId: Number(m[1]),
      host: m[2]!,
      port: Number(m[3]),
      pid: Number(m[4]),
    }));
  await waitFor(() => /^cluster ready: /m.test(command.stdout()) || command.child.exitCode !== null, {
    timeoutMs: 120_000,
    message: () => `cluster ready; output:\n${command.output()}`,
  });
  const bootstrap = /^cluster ready: (\S+)$/m.exec(command.stdout());
  if (!bootstrap) throw new Error(`the cluster did not start:\n${command.output()}`);
  const latest = (nodeId: number): ClusterBroker | undefined => readyLines().findLast((b) => b.nodeId === nodeId);
  return {
    bootstrap: bootstrap[1]!.split(","),
    dataDir,
    broker: (nodeId) => {
      const found = latest(nodeId);
      if (!found) throw new Error(`no ready line of broker ${nodeId}:\n${command.output()}`);
      return found;
    },
    output: command.output,
    restartOf: async (nodeId, pid, timeoutMs = 60_000) => {
      await waitFor(() => (latest(nodeId)?.pid ?? pid) !== pid, {
        timeoutMs,
        message: () => `broker ${nodeId} back after pid ${pid}; output:\n${command.output()}`,
      });
      return latest(nodeId)!;
    },
    stop: async () => {
      if (command.child.exitCode === null && command.child.signalCode === null) command.child.kill("SIGTERM");
      return command.exited;
    },
  };
}

export function useClusterProcess(): (
  brokers: number,
  configs?: Record<string, string | number>,
  launcherArgs?: string[],
) => Promise<ClusterProcess> {
  const running: RunningCommand[] = [];
  // Registered before the scratch dirs' hook, so the brokers are gone before their dirs are removed.
  after(async () => {
    for (const command of running) {
      if (command.child.exitCode === null && command.child.signalCode === null) {
        command.child.kill("SIGTERM");
        const timer = setTimeout(() => command.child.kill("SIGKILL"), 20_000);
        await command.exited;
        clearTimeout(timer);
      }
    }
  });
  const scratch = useScratchDirs("cluster-");
  return (brokers, configs = {}, launcherArgs = []) =>
    startClusterProcess(brokers, configs, scratch(), (command) => running.push(command), launcherArgs);
}
