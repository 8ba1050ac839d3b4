// The scaling lab's per-user order check on hand-written consumption orders: in order is clean,
// a user's command before an earlier one is out of order (once, however late the earlier one
// comes), a command seen again is a redelivery, and users do not disturb each other.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkUserOrder } from "../../../../seed/lab/scaling/order-check.ts";

const commands = (list: string) =>
  list.split(" ").map((item) => {
    const [userId, seq] = item.split("#");
    return { userId: userId!, seq: Number(seq) };
  });

describe("per-user order check", () => {
  it("when each user's commands come in seq order, interleaved with other users', then nothing is out of order", () => {
    const check = checkUserOrder(commands("a#0 b#0 a#1 c#0 b#1 a#2"));
    assert.deepEqual(check, { commands: 6, users: 3, outOfOrder: 0, redelivered: 0, examples: [] });
  });

  it("when a user's command comes before an earlier one, then it counts once as out of order, with an example", () => {
    const check = checkUserOrder(commands("a#0 a#2 b#0 a#1 a#3"));
    assert.equal(check.outOfOrder, 1);
    assert.equal(check.redelivered, 0);
    assert.deepEqual(check.examples, ["a: command #2 consumed before #1"]);
  });

  it("when a user's first consumed command is not their first, then it is out of order", () => {
    assert.equal(checkUserOrder(commands("a#1 a#0")).outOfOrder, 1);
  });

  it("when commands are consumed again after a move (a prefix replayed), then they count as redelivered, not out of order", () => {
    const check = checkUserOrder(commands("a#0 a#1 a#2 a#1 a#2 a#3"));
    assert.equal(check.redelivered, 2);
    assert.equal(check.outOfOrder, 0);
  });

  it("when there are more out-of-order commands than examples kept, then the count is whole and the examples are five", () => {
    const many = Array.from({ length: 8 }, (_, i) => ({ userId: `u${i}`, seq: 1 }));
    const check = checkUserOrder(many);
    assert.equal(check.outOfOrder, 8);
    assert.equal(check.examples.length, 5);
  });
});
