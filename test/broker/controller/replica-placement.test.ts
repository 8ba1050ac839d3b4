import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidReplicationFactorError, placeReplicas } from "../../../broker/controller/replica-placement.ts";

describe("placeReplicas", () => {
  it("when 6 partitions at replication factor 3 go on 3 brokers, then each broker leads 2 and holds 6 replicas, whatever the random start", () => {
    for (let start = 0; start < 3; start++) {
      const assignment = placeReplicas([2, 0, 1], 6, 3, () => start);
      const leads = [0, 0, 0];
      const holds = [0, 0, 0];
      for (const replicas of assignment) {
        leads[replicas[0]!]!++;
        for (const id of replicas) holds[id]!++;
      }
      assert.deepEqual(leads, [2, 2, 2]);
      assert.deepEqual(holds, [6, 6, 6]);
    }
  });

  it("when the random start differs, then the first partition's leader does too (striped from there)", () => {
    assert.deepEqual(
      placeReplicas([1, 2, 3], 3, 2, () => 0),
      [
        [2, 3],
        [3, 1],
        [1, 2],
      ],
    );
    assert.deepEqual(
      placeReplicas([1, 2, 3], 1, 2, () => 1),
      [[3, 1]],
    );
  });

  it("when any brokers, counts and factors are placed, then no partition has a broker twice and leaders differ by at most one", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        fc.nat(),
        (brokers, count, factor, seed) => {
          fc.pre(factor <= brokers.length);
          const assignment = placeReplicas(brokers, count, factor, (bound) => seed % bound);
          const leads = new Map<number, number>();
          for (const replicas of assignment) {
            assert.equal(new Set(replicas).size, factor);
            for (const id of replicas) assert.ok(brokers.includes(id));
            leads.set(replicas[0]!, (leads.get(replicas[0]!) ?? 0) + 1);
          }
          const counts = brokers.map((id) => leads.get(id) ?? 0);
          assert.ok(Math.max(...counts) - Math.min(...counts) <= 1);
        },
      ),
    );
  });

  it("when the factor exceeds the brokers, is below 1, or there are no brokers, then placement refuses", () => {
    assert.throws(
      () => placeReplicas([1, 2], 1, 3, () => 0),
      /replication factor of 3 cannot be reached because only 2/,
    );
    assert.throws(() => placeReplicas([1, 2], 1, 0, () => 0), InvalidReplicationFactorError);
    assert.throws(() => placeReplicas([], 1, 1, () => 0), InvalidReplicationFactorError);
  });
});
