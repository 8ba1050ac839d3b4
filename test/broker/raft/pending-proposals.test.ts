import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommitTimeoutError, NotLeaderError, PendingProposals } from "../../../broker/raft/pending-proposals.ts";
import { FakeScheduler } from "./raft-cluster-fixture.ts";

describe("pending proposals", () => {
  it("when the high watermark passes a proposal's last offset, then it resolves with that offset", async () => {
    const pending = new PendingProposals(new FakeScheduler().view("leader"));
    const early = pending.add(3n, undefined, 3);
    const late = pending.add(7n, undefined, 3);
    pending.committedBelow(4n);
    assert.equal(await early, 3n);
    pending.committedBelow(8n);
    assert.equal(await late, 7n);
  });

  it("when the time given passes first, then it rejects with CommitTimeoutError saying why", async () => {
    const scheduler = new FakeScheduler();
    const pending = new PendingProposals(scheduler.view("leader"));
    const proposal = pending.add(3n, 1000, 3);
    proposal.catch(() => {});
    await scheduler.advance(1000);
    await assert.rejects(proposal, (error: unknown) => {
      assert.ok(error instanceof CommitTimeoutError);
      assert.match(error.message, /offset 3 not committed within 1000 ms: no majority of the 3 voters/);
      assert.equal(error.retriable, true);
      return true;
    });
    pending.committedBelow(10n);
  });

  it("when leadership ends, then every pending proposal rejects with the error given", async () => {
    const pending = new PendingProposals(new FakeScheduler().view("leader"));
    const proposals = [pending.add(1n, 500, 3), pending.add(2n, undefined, 3)];
    pending.failAll(new NotLeaderError(2, 5));
    for (const proposal of proposals) {
      await assert.rejects(proposal, (error: unknown) => error instanceof NotLeaderError && error.leaderId === 2);
    }
  });
});
