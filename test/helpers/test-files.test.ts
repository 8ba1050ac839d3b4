// The run order of `npm test`'s files: every test file exactly once, the longest-first list ahead
// of the rest, and no listed file that is gone.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { useScratchDirs } from "./scratch-dirs.ts";
import { LONGEST_FIRST, testFiles } from "./test-files.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

describe("test-files", () => {
  const scratch = useScratchDirs("test-files-");
  const tree = (files: string[]): string => {
    const root = scratch();
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), "");
    }
    return root;
  };

  it("when some listed files exist among others, then those come first in the list's order and the rest follow by path, each once", () => {
    const [longest, second] = [LONGEST_FIRST[0]!, LONGEST_FIRST[1]!];
    const root = tree(["test/z/last.test.ts", "test/a.test.ts", second, longest, "test/helper.ts", "test/b/c.test.ts"]);
    assert.deepEqual(testFiles(root), [longest, second, "test/a.test.ts", "test/b/c.test.ts", "test/z/last.test.ts"]);
  });

  it("when a listed file is not in the tree, then it is left out rather than run", () => {
    const root = tree(["test/a.test.ts"]);
    assert.deepEqual(testFiles(root), ["test/a.test.ts"]);
  });

  it("when run on this repository, then every listed file exists and every test file is in the order once", () => {
    for (const file of LONGEST_FIRST) assert.ok(existsSync(join(repoRoot, file)), `${file} is listed but gone`);
    const files = testFiles();
    assert.equal(new Set(files).size, files.length);
    assert.deepEqual(files.slice(0, LONGEST_FIRST.length), LONGEST_FIRST);
    assert.ok(files.includes("test/helpers/test-files.test.ts"));
  });
});
