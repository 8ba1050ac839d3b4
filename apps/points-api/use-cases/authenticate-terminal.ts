// Which terminal sent a request: the one whose key it carries. The key's SHA-256 is compared with
// the stored one in constant time; a terminal without a key is compared with a stand-in, so the
// time taken is the same either way. (The messages do tell the two apart: terminal ids are no
// secret, GET /api/stores lists them.)
import { timingSafeEqual } from "node:crypto";
import { AppError } from "../../shared/errors.ts";
import { keyDigest, terminalOfKey } from "../../shared/terminal-keys.ts";
import type { TerminalKeysRepository } from "../repositories/terminal-keys.ts";

const STAND_IN = keyDigest("the digest compared when a terminal has no key");

/** Where a terminal's key comes from, for the messages of a refusal. */
export const KEYS_HINT = "the demo's terminals' keys are in DATA_DIR/terminal-keys.json (npm start prints one)";

type Check = "match" | "wrong key" | "no key";

export function createAuthenticateTerminal(keys: TerminalKeysRepository) {
  async function check(terminalId: string, digest: Buffer): Promise<Check> {
    let stored: Buffer | undefined;
    try {
      stored = await keys.digestOf(terminalId);
    } catch (error) {
      throw AppError.unavailable("the terminals' keys cannot be read", error);
    }
    const same = timingSafeEqual(stored ?? STAND_IN, digest);
    return stored === undefined ? "no key" : same ? "match" : "wrong key";
  }

  /** The id of the terminal `key` belongs to; a 401 for no key, a malformed one or one that is not its terminal's. */
  return async function authenticateTerminal(key: string | undefined): Promise<string> {
    if (key === undefined || key === "")
      throw AppError.unauthorized(`a terminal's key is needed, as "Authorization: Bearer <key>"; ${KEYS_HINT}`);
    const terminalId = terminalOfKey(key);
    if (terminalId === undefined)
      throw AppError.unauthorized(`not a terminal key (one looks like <terminalId>.<secret>); ${KEYS_HINT}`);
    const digest = keyDigest(key);
    let result = await check(terminalId, digest);
    if (result !== "match") {
      // Perhaps issued (or replaced) since the keys were last read.
      try {
        await keys.refresh();
      } catch (error) {
        throw AppError.unavailable("the terminals' keys cannot be read", error);
      }
      result = await check(terminalId, digest);
    }
    if (result === "no key") throw AppError.unauthorized(`terminal ${terminalId} is unknown: it has no key`);
    if (result === "wrong key") throw AppError.unauthorized(`wrong key for terminal ${terminalId}`);
    return terminalId;
  };
}

export type AuthenticateTerminal = ReturnType<typeof createAuthenticateTerminal>;
