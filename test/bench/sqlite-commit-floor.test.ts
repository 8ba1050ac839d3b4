// The durable-commit floor the cost suite reports: real one-row SQLite commits on a file, in CPU time.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { it } from "node:test";
import { durableCommitFloorUs } from "../../bench/sqlite-commit-floor.ts";

it("when a hundred one-row transactions commit, then their CPU per commit is a positive, finite number of microseconds and the file is gone afterwards", async () => {
  const scratch = () => readdirSync(tmpdir()).filter((name) => name.startsWith("bench-sqlite-commit-"));
  const before = new Set(scratch());
  const us = await durableCommitFloorUs(100);
  assert.ok(Number.isFinite(us) && us > 0, `got ${us}`);
  assert.deepEqual(
    scratch().filter((name) => !before.has(name)),
    [],
  );
});
