// What the replication scenarios ask the brokers' admin listeners (broker/server/admin): the replicas
// each broker hosts with their log end offsets and high watermarks, the controller quorum, the broker
// itself, the cluster events. Every broker is asked at once; one that is down or paused does not
// answer within a short timeout and is left out, so a frozen broker never stalls a scenario's read.
//
// Ownership: none.

import type { BrokerInfo, HostedPartition, QuorumInfo } from "../../broker/server/admin/admin-types.ts";
import type { ClusterEvent } from "../../broker/server/admin/cluster-events.ts";
import type { ScenarioSystem } from "./scenario.ts";

export type { BrokerInfo, ClusterEvent, HostedPartition, QuorumInfo };

type AdminListeners = Pick<ScenarioSystem, "adminUrls">;

/**
 * Polls `condition` (every 100 ms) until it holds or `timeoutMs` passed; says whether it held, so a
 * scenario checks the outcome itself (a check with the state it saw) rather than dying on a timeout.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return true;
    } catch {
      // not yet: a broker that does not answer counts as the condition not holding
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** GET `path` of one admin listener as JSON; throws when it does not answer within `timeoutMs`. */
export async function adminGet<T>(adminUrl: string, path: string, timeoutMs = 1_500): Promise<T> {
  const response = await fetch(new URL(path, adminUrl), { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${adminUrl}${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/**
 * What every broker that answers says at `path`, by node id; `ids` asks only those (a paused broker
 * costs the whole timeout, so a scenario that froze one leaves it out).
 */
export async function askEveryBroker<T>(
  system: AdminListeners,
  path: string,
  ids?: readonly number[],
): Promise<Map<number, T>> {
  const answers = await Promise.all(
    system.adminUrls.map((url, id) =>
      url === "" || (ids !== undefined && !ids.includes(id))
        ? Promise.resolve(undefined)
        : adminGet<T>(url, path).catch(() => undefined),
    ),
  );
  const byBroker = new Map<number, T>();
  answers.forEach((answer, id) => {
    if (answer !== undefined) byBroker.set(id, answer);
  });
  return byBroker;
}

/** Each answering broker's own replica of `topic` `partition`, by node id (of `ids`, when given). */
export async function replicasOf(
  system: AdminListeners,
  topic: string,
  partition: number,
  ids?: readonly number[],
): Promise<Map<number, HostedPartition>> {
  const hosted = await askEveryBroker<HostedPartition[]>(system, "/v1/partitions", ids);
  const replicas = new Map<number, HostedPartition>();
  for (const [id, partitions] of hosted) {
    const replica = partitions.find((p) => p.topic === topic && p.partition === partition);
    if (replica) replicas.set(id, replica);
  }
  return replicas;
}

/** The replica that says it leads (the newest leader epoch, should a deposed one not know yet). */
export function leaderReplica(
  replicas: ReadonlyMap<number, HostedPartition>,
): { broker: number; replica: HostedPartition } | undefined {
  let found: { broker: number; replica: HostedPartition } | undefined;
  for (const [broker, replica] of replicas) {
    if (replica.role !== "leader") continue;
    if (!found || replica.leaderEpoch > found.replica.leaderEpoch) found = { broker, replica };
  }
  return found;
}

/** The broker that says it is the active controller, when exactly one of those answering says so. */
export async function activeController(system: AdminListeners): Promise<number | undefined> {
  const infos = await askEveryBroker<BrokerInfo>(system, "/v1/broker");
  const active = [...infos.values()].filter((info) => info.activeController);
  return active.length === 1 ? active[0]!.nodeId : undefined;
}

/** The cluster events broker `id` recorded, oldest first, of `kind` (all when not given). */
export async function clusterEvents(
  system: AdminListeners,
  id: number,
  kind?: ClusterEvent["kind"],
): Promise<ClusterEvent[]> {
  const events = await adminGet<ClusterEvent[]>(system.adminUrls[id]!, "/v1/events/history");
  return kind === undefined ? events : events.filter((e) => e.kind === kind);
}
