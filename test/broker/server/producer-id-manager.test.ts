// Producer ids on a cluster's broker: handed out from blocks the active controller gives with
// AllocateProducerIds (a real QuorumController on a real socket, through the real channel), the next
// block asked for before the current one runs out.
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { PRODUCER_ID_BLOCK_SIZE } from "../../../broker/controller/producer-id-control.ts";
import { silentLogger } from "../../../broker/server/logger.ts";
import { NodeToControllerChannel } from "../../../broker/server/node-to-controller-channel.ts";
import { ProducerIdManager } from "../../../broker/server/producer-id-manager.ts";
import { waitFor } from "../../helpers/wait.ts";
import { type ControllerNode, registerLiveBroker, startControllerNode } from "./controller-node.ts";

const brokerId = 3;
const block = BigInt(PRODUCER_ID_BLOCK_SIZE);

async function managerOf(
  t: TestContext,
  node: ControllerNode,
  brokerEpoch?: () => bigint,
): Promise<{ ids: ProducerIdManager; epoch: bigint }> {
  const epoch = await registerLiveBroker(node, brokerId);
  const channel = new NodeToControllerChannel({
    localId: brokerId,
    voters: [node.address],
    quorum: { leaderId: node.address.nodeId, onLeaderChange: () => () => {} },
    requestTimeoutMs: 5_000,
    retryBackoffMs: 10,
    log: silentLogger,
  });
  t.after(() => channel.close());
  return { ids: new ProducerIdManager(brokerId, brokerEpoch ?? (() => epoch), channel), epoch };
}

async function take(ids: ProducerIdManager, count: number): Promise<bigint[]> {
  const taken: bigint[] = [];
  for (let i = 0; i < count; i++) taken.push(await ids.next());
  return taken;
}

describe("ProducerIdManager", () => {
  it("when ids are asked for, then they come in order from one block the controller gave", async (t) => {
    const node = await startControllerNode(t);
    const { ids } = await managerOf(t, node);

    assert.deepEqual(await take(ids, 3), [0n, 1n, 2n]);
    assert.equal(node.count("AllocateProducerIds"), 1);
    assert.equal(node.loader.image.nextProducerId, block, "the controller will not hand this block out again");
  });

  it("when several ask at once with no block yet, then one request serves them all with distinct ids", async (t) => {
    const node = await startControllerNode(t);
    const { ids } = await managerOf(t, node);

    const taken = await Promise.all(Array.from({ length: 10 }, () => ids.next()));

    assert.equal(new Set(taken).size, 10);
    assert.equal(node.count("AllocateProducerIds"), 1);
  });

  it("when a block runs low, then the next one is asked for ahead and the ids go on into it", async (t) => {
    const node = await startControllerNode(t);
    const { ids } = await managerOf(t, node);
    assert.equal(await ids.next(), 0n);
    // Another broker takes the block after this one's first, so the next block is not contiguous.
    await node.controller.allocateProducerIds({ brokerId: 9, brokerEpoch: await registerLiveBroker(node, 9) });
    // Up to the last tenth of the first block, nothing more is asked for.
    const first = await take(ids, Number((block * 9n) / 10n) - 1);
    assert.equal(first.at(-1), (block * 9n) / 10n - 1n);
    assert.equal(node.count("AllocateProducerIds"), 1);

    await ids.next();
    await waitFor(() => node.count("AllocateProducerIds") === 2, { message: "the next block is asked for ahead" });

    const rest = await take(ids, Number(block / 10n));

    assert.equal(rest.at(-2), block - 1n, "the first block is used up");
    assert.equal(rest.at(-1), 2n * block, "then the prefetched block, after the other broker's");
    assert.equal(node.count("AllocateProducerIds"), 2);
  });

  it("when the controller refuses a block, then the caller gets an error naming why", async (t) => {
    const node = await startControllerNode(t);
    const { ids } = await managerOf(t, node, () => 999n);

    await assert.rejects(ids.next(), /AllocateProducerIds failed: STALE_BROKER_EPOCH/);
  });

  it("when asking ahead for the next block fails, then nothing is left unhandled and the ids go on from a block asked for again", async (t) => {
    const node = await startControllerNode(t);
    let asked = 0;
    let epoch = -1n;
    // The second request for a block (the one ahead) carries a stale epoch; the controller refuses it.
    const { ids, epoch: registered } = await managerOf(t, node, () => (++asked === 2 ? 999n : epoch));
    epoch = registered;
    await take(ids, Number((block * 9n) / 10n) + 1);
    await waitFor(() => node.count("AllocateProducerIds") === 2, { message: "the next block was asked for ahead" });

    const rest = await take(ids, Number(block / 10n));

    assert.equal(rest.at(-2), block - 1n, "the first block is used up");
    assert.equal(rest.at(-1), block, "then the block asked for again");
    assert.equal(node.count("AllocateProducerIds"), 3);
  });
});
