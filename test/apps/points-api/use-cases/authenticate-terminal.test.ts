// Who sent a request: the terminal whose key it carries, or a 401 that says what is wrong.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TerminalKeysRepository } from "../../../../apps/points-api/repositories/terminal-keys.ts";
import { createAuthenticateTerminal } from "../../../../apps/points-api/use-cases/authenticate-terminal.ts";
import { keyDigest, newTerminalKey } from "../../../../apps/shared/terminal-keys.ts";

/** Keys as the file holds them (`onDisk`), seen by the repository only when refreshed. */
function keysOnDisk(initial: Record<string, string>) {
  const onDisk = { ...initial };
  let seen = { ...onDisk };
  let refreshes = 0;
  const repository: TerminalKeysRepository = {
    digestOf: async (terminalId) => (seen[terminalId] === undefined ? undefined : keyDigest(seen[terminalId])),
    refresh: async () => {
      refreshes++;
      seen = { ...onDisk };
    },
  };
  return { onDisk, repository, refreshes: () => refreshes };
}

describe("authenticateTerminal", () => {
  const t1 = newTerminalKey("t1");

  it("when the key is its terminal's, then the terminal's id, without looking at the file again", async () => {
    const keys = keysOnDisk({ t1 });
    assert.equal(await createAuthenticateTerminal(keys.repository)(t1), "t1");
    assert.equal(keys.refreshes(), 0);
  });

  it("when there is no key, a malformed one, a wrong one or one of a terminal without a key, then 401 saying which", async () => {
    const authenticate = createAuthenticateTerminal(keysOnDisk({ t1 }).repository);
    const refusal = async (key: string | undefined) =>
      authenticate(key).then(
        () => assert.fail(`accepted ${key}`),
        (error: { status: number; message: string }) => [error.status, error.message],
      );
    assert.deepEqual((await refusal(undefined))[0], 401);
    assert.match(String((await refusal(""))[1]), /^a terminal's key is needed/);
    assert.match(String((await refusal("t1"))[1]), /^not a terminal key/);
    assert.deepEqual(await refusal(newTerminalKey("t1")), [401, "wrong key for terminal t1"]);
    assert.deepEqual(await refusal(newTerminalKey("t2")), [401, "terminal t2 is unknown: it has no key"]);
  });

  it("when a key was issued after the file was last read, then the file is read again and the key taken", async () => {
    const keys = keysOnDisk({});
    const t2 = newTerminalKey("t2");
    keys.onDisk.t2 = t2;
    assert.equal(await createAuthenticateTerminal(keys.repository)(t2), "t2");
    assert.equal(keys.refreshes(), 1);
  });

  it("when the keys cannot be read, then 503", async () => {
    const failing: TerminalKeysRepository = {
      digestOf: () => Promise.reject(new Error("EACCES")),
      refresh: () => Promise.reject(new Error("EACCES")),
    };
    await assert.rejects(createAuthenticateTerminal(failing)(t1), { status: 503 });
  });
});
