// How a replica's commit point moves, and who is told (Kafka's KafkaRaftClient
// onUpdateLeaderHighWatermark, maybeFireHandleCommit and maybeFireLeaderChange): a leader counts
// its own log end towards the high watermark as it appends; once a majority holds an entry of its
// epoch, offsets below the high watermark are committed, proposals up to there resolve, held
// fetches are answered so followers learn it, and the committed batches go to the listeners. A
// follower takes its leader's high watermark, bounded by its own log. Leadership is announced
// last: this node's own only once its epoch's first entry is committed and every listener has
// everything before it.
//
// Plain functions over the node's context (replica-context.ts), called only from its serial
// path. Ownership: none; the RaftNode owns the commit point, the proposals, the held fetches and
// the listeners.

import type { NodeContext } from "./replica-context.ts";

/** The leader's log grew: count its own copy, wake the fetches that wait for it. */
export function onLeaderAppend(node: NodeContext): void {
  const leader = node.leader;
  if (leader === null) return;
  if (leader.updateLocalEndOffset(node.log.endOffset, node.now())) onLeaderHighWatermark(node);
  node.purgatory.completeBelow(node.log.endOffset);
}

export function onLeaderHighWatermark(node: NodeContext): void {
  const highWatermark = node.leader?.highWatermark;
  if (highWatermark === null || highWatermark === undefined) return;
  advanceCommitted(node, highWatermark);
  // Followers learn the new high watermark from their held fetches.
  node.purgatory.completeAll();
}

/** Offsets below `highWatermark` (clamped to this log) are committed. */
export function advanceCommitted(node: NodeContext, highWatermark: bigint): void {
  const bounded = highWatermark < node.log.endOffset ? highWatermark : node.log.endOffset;
  if (bounded <= node.committed) return;
  node.committed = bounded;
  node.log.updateHighWatermark(bounded);
  node.pending.committedBelow(bounded);
  publishCommitted(node);
}

export function publishCommitted(node: NodeContext): void {
  node.listeners.publish(node.committed);
  announceLeader(node);
}

/** Tells the leader listeners about a new (leader, epoch); this node's own leadership once it is usable. */
export function announceLeader(node: NodeContext): void {
  const leader = node.leader;
  if (leader !== null) {
    const usable = leader.highWatermark !== null && node.listeners.caughtUpTo(leader.epochStartOffset);
    if (!usable || !node.started) return;
  }
  node.listeners.announce({ leaderId: node.leaderId(), epoch: node.quorum.epoch });
}
