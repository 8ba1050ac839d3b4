import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { closeAll, nodeFileSystem, openAll } from "../../../broker/storage/file-system.ts";
import { FaultyFileSystem, tempDir } from "./faulty-file-system.ts";

test("when buffers are appended, then size grows and reads return them in order", (t) => {
  const path = join(tempDir(t), "a.log");
  const file = nodeFileSystem.open(path, { create: true });
  t.after(() => file.close());
  file.append(Buffer.from("hello "));
  file.append([Buffer.from("wor"), Buffer.from("ld")]);
  assert.equal(file.size(), 11);
  const into = Buffer.alloc(5);
  assert.equal(file.read(into, 0, 5, 6), 5);
  assert.equal(into.toString(), "world");
  assert.equal(fs.readFileSync(path, "utf8"), "hello world");
});

test("when reading past the end, then only the available bytes are returned", (t) => {
  const file = nodeFileSystem.open(join(tempDir(t), "a.log"), { create: true });
  t.after(() => file.close());
  file.append(Buffer.from("abc"));
  const into = Buffer.alloc(10);
  assert.equal(file.read(into, 2, 10 - 2, 1), 2);
  assert.equal(into.subarray(2, 4).toString(), "bc");
});

test("when writing at a position and truncating, then size follows and appends continue at the end", (t) => {
  const file = nodeFileSystem.open(join(tempDir(t), "a.log"), { create: true });
  t.after(() => file.close());
  file.append(Buffer.from("0123456789"));
  file.writeAt(Buffer.from("ab"), 2);
  file.truncate(6);
  file.append(Buffer.from("Z"));
  file.sync();
  const into = Buffer.alloc(7);
  file.read(into, 0, 7, 0);
  assert.equal(into.toString(), "01ab45Z");
  assert.equal(file.size(), 7);
});

test("when a file is reopened, then its size is read from disk", (t) => {
  const path = join(tempDir(t), "a.log");
  fs.writeFileSync(path, "twelve bytes");
  const file = nodeFileSystem.open(path, { create: false });
  t.after(() => file.close());
  assert.equal(file.size(), 12);
  assert.ok(file.lastModifiedMs() > 0);
});

test("when opening a missing file without create, then it throws", (t) => {
  assert.throws(() => nodeFileSystem.open(join(tempDir(t), "missing.log"), { create: false }), { code: "ENOENT" });
});

test("when listing, renaming and removing, then the directory reflects it and removing twice is fine", (t) => {
  const dir = tempDir(t);
  const sub = join(dir, "a", "b");
  nodeFileSystem.mkdirp(sub);
  nodeFileSystem.open(join(sub, "x"), { create: true }).close();
  nodeFileSystem.rename(join(sub, "x"), join(sub, "y"));
  assert.deepEqual(nodeFileSystem.list(sub), ["y"]);
  nodeFileSystem.syncDir(sub);
  nodeFileSystem.remove(join(sub, "y"));
  nodeFileSystem.remove(join(sub, "y"));
  assert.equal(nodeFileSystem.exists(join(sub, "y")), false);
  nodeFileSystem.removeDir(join(dir, "a"));
  assert.equal(nodeFileSystem.exists(join(dir, "a")), false);
});

test("when one of several files cannot be opened, then openAll closes the others and the extra handles it was given", (t) => {
  const dir = tempDir(t);
  const fileSystem = new FaultyFileSystem();
  const given = fileSystem.open(join(dir, "given.log"), { create: true });
  const paths = [join(dir, "a.index"), join(dir, "missing", "b.index")];
  assert.throws(() => openAll(fileSystem, paths, true, [given]), { code: "ENOENT" });
  assert.equal(fileSystem.openFiles, 0);
  const opened = openAll(fileSystem, [join(dir, "a.index"), join(dir, "c.index")], true);
  assert.deepEqual(
    opened.map((file) => file.path),
    [join(dir, "a.index"), join(dir, "c.index")],
  );
  closeAll(opened);
  assert.equal(fileSystem.openFiles, 0);
});

test("when some handles fail to close, then closeAll still closes the rest and throws the first failure", () => {
  const closed: string[] = [];
  const failing = (name: string) => ({
    close() {
      closed.push(name);
      throw new Error(`${name} failed`);
    },
  });
  const fine = (name: string) => ({ close: () => void closed.push(name) });
  assert.throws(() => closeAll([fine("a"), failing("b"), fine("c"), failing("d")]), { message: "b failed" });
  assert.deepEqual(closed, ["a", "b", "c", "d"]);
  closeAll([]);
});
