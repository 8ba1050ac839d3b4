// The fault test's nemesis: one fault at a time against a cluster under load, each followed by
// waiting until the cluster is whole again (every broker back and registered, a controller
// elected, every partition of the topic led and its ISR complete), so that every fault is one the
// cluster is built to survive. The faults:
// - kill-controller: kill -9 the active controller (the DescribeQuorum leader);
// - kill-leader: kill -9 the leader of one of the topic's partitions;
// - kill-broker: kill -9 a broker (the launcher restarts a killed broker on its port and data dir);
// - pause-broker: SIGSTOP a broker until it has left every ISR of the topic (it fell behind for
//   replica.lag.time.max.ms, or the controller fenced it after broker.session.timeout.ms and moved
//   its leaderships), then SIGCONT: it comes back as a zombie that still thinks it leads.
// First a plan that covers them all: the controller, a leader, a pause, then every broker not
// killed yet; then random faults until `durationMs` has passed. Every wait is for a condition.
//
// Ownership: the nemesis owns no process (the launcher does); it remembers which pid it paused so
// that it always resumes it, even when it fails.
import type { ClusterView, PartitionView } from "./cluster-view.ts";
import { crash, pause, resume } from "./processes.ts";
import { waitUntil } from "./wait-until.ts";

export interface FaultTarget {
  readonly brokerIds: readonly number[];
  /** The pid broker `brokerId` runs as now. */
  pid(brokerId: number): number;
  /** Resolves once broker `brokerId`, killed while it ran as `pid`, serves again. */
  restarted(brokerId: number, pid: number): Promise<unknown>;
}

export const faultKinds = ["kill-controller", "kill-leader", "kill-broker", "pause-broker"] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface FaultRecord {
  kind: FaultKind;
  brokerId: number;
  /** Why this broker: "active controller", "leader of 3", ... */
  detail: string;
  /** When the fault was injected, in ms since the nemesis started. */
  atMs: number;
  /** From the fault to the cluster whole again, in ms. */
  recoveryMs: number;
}

/** What the nemesis asks the cluster (a ClusterView). */
export type NemesisView = Pick<ClusterView, "brokerIds" | "activeController" | "partitions" | "registeredBrokers">;

export interface NemesisOptions {
  target: FaultTarget;
  view: NemesisView;
  /** The topic whose partitions must be led and in sync again after each fault. */
  topic: string;
  /** Random faults keep coming until this much time has passed; the planned ones always run. */
  durationMs: number;
  random: () => number;
  /** Deadline of each wait (a broker back, the cluster whole); default 90 s. */
  recoveryTimeoutMs?: number;
  /** What durationMs and the records' times are measured with; default Date.now. */
  clock?: () => number;
  /**
   * Kills of one broker allowed within a minute (default 4): the launcher gives up restarting a
   * broker that dies more than 5 times a minute. A kill over the budget becomes a pause.
   */
  maxKillsPerMinute?: number;
  log?: (line: string) => void;
}

/** Why the cluster is not whole yet, or null when it is: asked of every broker, all must agree. */
export async function notWholeBecause(view: NemesisView, topic: string): Promise<string | null> {
  if ((await view.activeController()) === null) return "no active controller";
  const brokers = await view.registeredBrokers();
  if (brokers.length < view.brokerIds.length) return `only brokers [${brokers}] are registered`;
  for (const id of view.brokerIds) {
    let partitions: PartitionView[];
    try {
      partitions = await view.partitions(topic, [id]);
    } catch (error) {
      return `broker ${id} does not answer: ${error instanceof Error ? error.message : String(error)}`;
    }
    const lagging = partitions.find((p) => p.leader < 0 || p.isr.length < p.replicas.length);
    if (lagging)
      return `broker ${id} sees partition ${lagging.partition} led by ${lagging.leader} with ISR [${lagging.isr}] of [${lagging.replicas}]`;
  }
  return null;
}

/** Waits until the cluster is whole (see notWholeBecause). */
export async function waitUntilWhole(view: NemesisView, topic: string, timeoutMs = 90_000): Promise<void> {
  let reason: string | null = "not asked yet";
  await waitUntil(async () => (reason = await notWholeBecause(view, topic)) === null, {
    timeoutMs,
    intervalMs: 200,
    message: () => `the cluster whole again (${reason})`,
  });
}

interface Fault {
  kind: FaultKind;
  /** Picks the broker (null: nothing fits now) and says why. */
  pick(): Promise<{ brokerId: number; detail: string } | null>;
}

export async function runNemesis(options: NemesisOptions): Promise<FaultRecord[]> {
  const {
    target,
    view,
    topic,
    random,
    recoveryTimeoutMs = 90_000,
    clock = Date.now,
    maxKillsPerMinute = 4,
    log = () => {},
  } = options;
  const started = clock();
  const killed = new Set<number>();
  const killTimes = new Map<number, number[]>();
  const killsWithinAMinute = (brokerId: number) =>
    (killTimes.get(brokerId) ?? []).filter((t) => clock() - t < 60_000).length;
  const records: FaultRecord[] = [];
  const pick = <T>(items: readonly T[]): T | null =>
    items.length === 0 ? null : items[Math.floor(random() * items.length)]!;

  const killController: Fault = {
    kind: "kill-controller",
    pick: async () => {
      let controller: number | null = null;
      await waitUntil(async () => (controller = await view.activeController()) !== null, {
        timeoutMs: recoveryTimeoutMs,
        message: "an active controller",
      });
      return { brokerId: controller!, detail: "active controller" };
    },
  };
  const killLeader = (preferNotKilled: boolean): Fault => ({
    kind: "kill-leader",
    pick: async () => {
      const partitions = (await view.partitions(topic)).filter((p) => p.leader >= 0);
      const fresh = partitions.filter((p) => !killed.has(p.leader));
      const chosen = pick(preferNotKilled && fresh.length > 0 ? fresh : partitions);
      return chosen ? { brokerId: chosen.leader, detail: `leader of partition ${chosen.partition}` } : null;
    },
  });
  const killBroker = (brokerId: number | null): Fault => ({
    kind: "kill-broker",
    pick: async () => {
      const chosen = brokerId ?? pick(target.brokerIds);
      return chosen === null ? null : { brokerId: chosen, detail: brokerId === null ? "at random" : "not killed yet" };
    },
  });
  const pauseBroker: Fault = {
    kind: "pause-broker",
    pick: async () => {
      const chosen = pick(target.brokerIds);
      return chosen === null ? null : { brokerId: chosen, detail: "at random" };
    },
  };

  const inject = async (fault: Fault): Promise<void> => {
    const chosen = await fault.pick();
    if (chosen === null) return;
    const { brokerId } = chosen;
    let { kind } = fault;
    let { detail } = chosen;
    if (kind !== "pause-broker" && killsWithinAMinute(brokerId) >= maxKillsPerMinute) {
      detail = `${detail}, but killed ${maxKillsPerMinute} times within a minute: paused instead`;
      kind = "pause-broker";
    }
    const pid = target.pid(brokerId);
    const at = clock();
    if (kind === "pause-broker") {
      log(`SIGSTOP broker ${brokerId} (${detail}, pid ${pid})`);
      await pause(pid);
      try {
        let seen: PartitionView[] = [];
        await waitUntil(
          async () => leftEveryIsr((seen = await view.partitions(topic, othersThan(brokerId))), brokerId),
          {
            timeoutMs: recoveryTimeoutMs,
            intervalMs: 200,
            message: () =>
              `broker ${brokerId} out of every ISR of ${topic} while paused (the others see ${describe(seen)})`,
          },
        );
      } finally {
        resume(pid);
      }
      log(`SIGCONT broker ${brokerId}: out of every ISR after ${clock() - at} ms`);
    } else {
      log(`kill -9 broker ${brokerId} (${detail}, pid ${pid})`);
      await crash(pid);
      killed.add(brokerId);
      killTimes.set(brokerId, [...(killTimes.get(brokerId) ?? []), at]);
      await target.restarted(brokerId, pid);
    }
    await waitUntilWhole(view, topic, recoveryTimeoutMs);
    const record = { kind, brokerId, detail, atMs: at - started, recoveryMs: clock() - at };
    records.push(record);
    log(`cluster whole again ${record.recoveryMs} ms after the ${kind} of broker ${brokerId}`);
  };
  const othersThan = (brokerId: number) => target.brokerIds.filter((id) => id !== brokerId);

  await waitUntilWhole(view, topic, recoveryTimeoutMs);
  for (const fault of [killController, killLeader(true), pauseBroker]) await inject(fault);
  for (const id of target.brokerIds) if (!killed.has(id)) await inject(killBroker(id));
  const randomFaults: Fault[] = [killController, killLeader(false), killBroker(null), pauseBroker];
  while (clock() - started < options.durationMs) await inject(pick(randomFaults)!);
  return records;
}

function describe(partitions: readonly PartitionView[]): string {
  return partitions.map((p) => `${p.partition}: leader ${p.leader} ISR [${p.isr}]`).join(", ");
}

function leftEveryIsr(partitions: readonly PartitionView[], brokerId: number): boolean {
  return partitions.every((p) => p.leader !== brokerId && !p.isr.includes(brokerId));
}
