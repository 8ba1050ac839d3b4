// The ledger service's small parts: sizing the sends of outcome events, reading the fault hook.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ledgerOptionsFrom, sendSizedGroups } from "../../../apps/ledger/service.ts";
import { range } from "../../helpers/wait.ts";

describe("ledger service", () => {
  it("when outcome events add up to more than one send may carry, then they go in order in groups under the limit", () => {
    const messages = range(10).map((i) => ({ key: `u${i}`, value: "x".repeat(98) })); // 100 bytes each
    const groups = [...sendSizedGroups(messages, 350)];
    assert.deepEqual(
      groups.map((g) => g.length),
      [3, 3, 3, 1],
    );
    assert.deepEqual(groups.flat(), messages);
  });

  it("when one event alone is above the limit, then it still goes, in a group of its own", () => {
    const big = { key: "u", value: "x".repeat(500) };
    assert.deepEqual(
      [...sendSizedGroups([{ key: "a", value: "1" }, big, { key: "b", value: "2" }], 100)],
      [[{ key: "a", value: "1" }], [big], [{ key: "b", value: "2" }]],
    );
    assert.deepEqual([...sendSizedGroups([], 100)], []);
  });

  it("when LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is set, then it is read as the commit to die after; unset means no fault", () => {
    assert.deepEqual(ledgerOptionsFrom({}), {});
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "" }), {});
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "3" }), { exitAfterDbCommit: 3 });
    assert.throws(() => ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "0" }), /integer >= 1/);
  });
});
