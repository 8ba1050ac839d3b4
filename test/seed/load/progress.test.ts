import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProgress, formatProgress } from "../../../seed/load/progress.ts";

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { stream: { isTTY, write: (text: string) => writes.push(text) }, writes };
}

describe("progress", () => {
  it("when half done after 2 s, then the bar is half full with the rate and elapsed time", () => {
    assert.equal(formatProgress("issue", 500, 1000, 2000, 10), "issue [#####-----]  50% 500/1000 250/s 2.0s");
  });

  it("when not on a terminal, then it prints a plain line at each new tenth and one at the end", () => {
    const { stream, writes } = fakeStream(false);
    let now = 0;
    const progress = createProgress({ label: "issue", total: 100, stream, now: () => now });
    for (let done = 1; done <= 100; done++) {
      now += 10;
      progress.tick(done);
    }
    progress.finish();
    assert.equal(writes.length, 11);
    assert.ok(writes.every((line) => line.endsWith("\n") && !line.startsWith("\r")));
    assert.match(writes.at(-1)!, /100% 100\/100 100\/s 1\.0s\n$/);
  });

  it("when on a terminal, then it redraws one line in place at most every 100 ms and ends it with a newline", () => {
    const { stream, writes } = fakeStream(true);
    let now = 0;
    const progress = createProgress({ label: "issue", total: 1000, stream, now: () => now });
    for (let done = 1; done <= 1000; done++) {
      now += 1;
      progress.tick(done);
    }
    progress.finish();
    assert.ok(writes.every((line) => line.startsWith("\r")));
    assert.equal(writes.length, 11);
    assert.ok(writes.at(-1)!.endsWith("\n"));
    assert.ok(writes.slice(0, -1).every((line) => !line.endsWith("\n")));
  });
});
