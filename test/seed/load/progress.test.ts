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

  it("when on a terminal, then it redraws one line in place at most every 100 ms and ends it with a newline", (t) => {
    t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
    const { stream, writes } = fakeStream(true);
    const progress = createProgress({ label: "issue", total: 1000, stream });
    for (let done = 1; done <= 1000; done++) {
      t.mock.timers.tick(1);
      progress.tick(done);
    }
    const beforeFinish = writes.length;
    progress.finish();
    /** Where each drawing of the bar starts; the write just before it moves the cursor to the line's start. */
    const draws = writes.flatMap((text, i) => (text.startsWith("issue [") ? [i] : []));
    const toLineStart = "\u001b[1G";
    assert.ok(draws.every((i) => writes[i - 1] === toLineStart));
    // At the start and once per 100 ms of the second the ticks took (not once per tick), then the last one.
    assert.equal(draws.filter((i) => i < beforeFinish).length, 11);
    assert.ok(writes.slice(0, beforeFinish).every((text) => !text.includes("\n")));
    assert.equal(writes.at(-1), "\n");
    assert.match(writes[draws.at(-1)!]!, /^issue \[#{24}\] 100% 1000\/1000 1000\/s 1\.0s$/);
  });
});
