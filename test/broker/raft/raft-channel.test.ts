// The real transport of the controller quorum: three RaftNodes, each behind a TCP listener on a
// free port serving the broker's own request router and API handlers (Vote, BeginQuorumEpoch,
// EndQuorumEpoch, the __cluster_metadata branch of Fetch v12), talking through
// ConnectionRaftChannel. They elect a leader, replicate and commit, and fail over.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { defaultRaftTimings } from "../../../broker/raft/quorum-config.ts";
import type { CommittedBatch } from "../../../broker/raft/raft-batches.ts";
import { ConnectionRaftChannel, type RaftEndpoint } from "../../../broker/raft/raft-channel.ts";
import { NotLeaderError, RaftNode } from "../../../broker/raft/raft-node.ts";
import type { BrokerState } from "../../../broker/server/broker-state.ts";
import { Connection } from "../../../broker/server/connection.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { createRequestRouter } from "../../../broker/server/request-router.ts";
import { waitFor } from "../../helpers/wait.ts";

interface Member {
  id: number;
  server: Server;
  connections: Set<Connection>;
  state: { raft?: RaftNode };
  node?: RaftNode;
  committed: CommittedBatch[];
}

/** A TCP listener on a free port that routes requests like a broker, to whatever Raft node `state` holds. */
async function listen(id: number): Promise<Member> {
  const state: { raft?: RaftNode } = {};
  const route = createRequestRouter(state as unknown as BrokerState);
  const connections = new Set<Connection>();
  const server = createServer((socket) => {
    const connection = new Connection(socket, route, 100 * 1024 * 1024, silentLogger);
    connections.add(connection);
    socket.on("close", () => connections.delete(connection));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { id, server, connections, state, committed: [] };
}

function startNode(member: Member, endpoints: Map<number, RaftEndpoint>, dataDir: string): RaftNode {
  const timings = { ...defaultRaftTimings, electionTimeoutMs: 300, fetchTimeoutMs: 600, electionBackoffMaxMs: 300 };
  const node = RaftNode.open({
    config: { ...timings, nodeId: member.id, voters: [...endpoints.keys()] },
    dataDir: join(dataDir, `node-${member.id}`),
    channel: new ConnectionRaftChannel(endpoints, { localId: member.id, requestTimeoutMs: 1000, logger: silentLogger }),
    logger: silentLogger,
  });
  member.node = node;
  member.committed = [];
  node.onCommitted((batch) => member.committed.push(batch));
  member.state.raft = node;
  node.start();
  return node;
}

/**
 * Proposes on whichever node leads, until one commits it: a leader can lose its leadership before
 * committing (an election may always intervene), and then the proposal is made again.
 */
async function commitOnLeader(members: Member[], values: string[]): Promise<bigint> {
  for (;;) {
    await waitFor(() => members.some((member) => member.node?.isLeader), { message: "a leader" });
    const leader = members.find((member) => member.node?.isLeader)!.node!;
    try {
      return await leader.propose(values.map((value) => Buffer.from(value)));
    } catch (error) {
      if (!(error instanceof NotLeaderError)) throw error;
    }
  }
}

async function shutDown(member: Member): Promise<void> {
  await member.node?.close({ timeoutMs: 2000 });
  member.state.raft = undefined;
  for (const connection of member.connections) connection.close();
  await new Promise<void>((resolve) => member.server.close(() => resolve()));
}

describe("a quorum over TCP", () => {
  it("when three nodes start on real sockets, then they elect a leader, replicate, commit and fail over", async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), "raft-tcp-"));
    const members = await Promise.all([0, 1, 2].map(listen));
    t.after(async () => {
      for (const member of members) await shutDown(member).catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    });
    const endpoints = new Map<number, RaftEndpoint>(
      members.map((member) => [
        member.id,
        { host: "127.0.0.1", port: (member.server.address() as { port: number }).port },
      ]),
    );
    for (const member of members) startNode(member, endpoints, dataDir);
    const committedOffset = await commitOnLeader(members, ["over", "tcp"]);
    const batchAt = (member: Member, offset: bigint) => member.committed.find((batch) => batch.lastOffset === offset);
    await waitFor(() => members.every((member) => batchAt(member, committedOffset) !== undefined), {
      message: "every node committing the batch",
    });
    for (const member of members) {
      assert.deepEqual(batchAt(member, committedOffset)!.records.map(String), ["over", "tcp"]);
    }

    await waitFor(() => members.some((member) => member.node!.isLeader), { message: "a leader to stop" });
    const old = members.find((member) => member.node!.isLeader)!;
    const oldEpoch = old.node!.epoch;
    await shutDown(old);
    const survivors = members.filter((member) => member !== old);
    await waitFor(() => survivors.some((member) => member.node!.isLeader && member.node!.epoch > oldEpoch), {
      message: "a new leader after the clean shutdown",
    });
    const afterOffset = await commitOnLeader(survivors, ["after"]);
    await waitFor(() => survivors.every((member) => batchAt(member, afterOffset) !== undefined), {
      message: "the second commit",
    });
  });
});
