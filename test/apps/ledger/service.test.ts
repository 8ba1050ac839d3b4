// The ledger service's settings. What it does with commands is tested on real processes:
// ledger-process.test.ts (a stream becomes a sequential replay), ledger-group.test.ts (two ledgers
// share the partitions), ledger-recovery.test.ts (crashes at every step).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ledgerOptionsFrom } from "../../../apps/ledger/service.ts";

describe("ledger service", () => {
  it("when LEDGER_FAULT_EXIT_AFTER_DB_COMMIT is set, then it is read as the commit to die after; unset means no fault", () => {
    assert.deepEqual(ledgerOptionsFrom({}), {});
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "" }), {});
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "3" }), { exitAfterDbCommit: 3 });
    assert.throws(() => ledgerOptionsFrom({ LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "0" }), /integer >= 1/);
  });

  it("when LEDGER_UNSAFE_WORKERS is above 1, then the unsafe mode is on with that many workers; 1 or unset is the safe ledger", () => {
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_UNSAFE_WORKERS: "4" }), { unsafeWorkers: 4 });
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_UNSAFE_WORKERS: "1" }), {});
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_UNSAFE_WORKERS: "4", LEDGER_FAULT_EXIT_AFTER_DB_COMMIT: "2" }), {
      exitAfterDbCommit: 2,
      unsafeWorkers: 4,
    });
  });

  it("when the group settings or LEDGER_EVENT_LOG are set, then they are read into group and eventLog; unset, they are absent", () => {
    assert.deepEqual(
      ledgerOptionsFrom({
        LEDGER_ASSIGNOR: "cooperative-sticky",
        LEDGER_INSTANCE_ID: "ledger-m1",
        LEDGER_EVENT_LOG: "/tmp/m1.jsonl",
      }),
      { group: { assignor: "cooperative-sticky", instanceId: "ledger-m1" }, eventLog: "/tmp/m1.jsonl" },
    );
    assert.deepEqual(ledgerOptionsFrom({ LEDGER_SESSION_TIMEOUT_MS: "6000" }), { group: { sessionTimeoutMs: 6000 } });
  });
});
