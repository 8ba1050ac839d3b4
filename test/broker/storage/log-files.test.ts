// The names of a log's files: 20-digit zero-padded base offsets, and which log an index belongs to.

import assert from "node:assert/strict";
import { test } from "node:test";
import { logFileNameOfIndex, parseLogFileName, segmentFileName } from "../../../broker/storage/log-files.ts";

test("when file names are built and parsed, then base offsets are 20-digit zero-padded", () => {
  assert.equal(segmentFileName(42n, ".log"), "00000000000000000042.log");
  assert.equal(parseLogFileName("00000000000000000042.log"), 42n);
  assert.equal(parseLogFileName("00000000000000000042.index"), null);
  assert.equal(parseLogFileName("42.log"), null);
});

test("when an index file name is read, then it names its segment's log file; other names give null", () => {
  assert.equal(logFileNameOfIndex("00000000000000000042.index"), "00000000000000000042.log");
  assert.equal(logFileNameOfIndex("00000000000000000042.timeindex"), "00000000000000000042.log");
  assert.equal(logFileNameOfIndex("00000000000000000042.txnindex"), "00000000000000000042.log");
  assert.equal(logFileNameOfIndex("00000000000000000042.log"), null);
  assert.equal(logFileNameOfIndex("00000000000000000042.index.cleaned"), null);
  assert.equal(logFileNameOfIndex("42.index"), null);
});
