// A routed broker (the real request router and handlers, no socket) whose Raft node is a single
// voter on real files: it leads epoch 1 as soon as it starts. For the KRaft API handler tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { defaultRaftTimings } from "../../../../broker/raft/quorum-config.ts";
import { RaftNode } from "../../../../broker/raft/raft-node.ts";
import { silentLogger } from "../../../../broker/server/logger.ts";
import { type RoutedBroker, routedBroker } from "../broker-state-fixture.ts";

export async function routedQuorumOfOne(t: TestContext): Promise<{ broker: RoutedBroker; node: RaftNode }> {
  const broker = await routedBroker();
  const dataDir = mkdtempSync(join(tmpdir(), "raft-handler-"));
  const node = RaftNode.open({
    config: { ...defaultRaftTimings, nodeId: 0, voters: [0] },
    dataDir,
    channel: { send: () => Promise.reject(new Error("no other replica")), close: () => {} },
    logger: silentLogger,
  });
  node.start();
  broker.state.raft = node;
  t.after(async () => {
    await node.close();
    await broker.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { broker, node };
}
