// The hashes of the terminals' keys (DATA_DIR/terminal-key-hashes.json, see shared/terminal-keys.ts),
// kept in memory: the file is looked at again (a stat) at most once per `recheckMs`, and whenever
// asked to (a key that did not match may have been issued since), and read again when it changed.
// So a terminal given a key while the API runs can use it at once, and a replaced key stops working
// within `recheckMs`.
//
// Ownership: the repository owns its copy of the file (`digests`), what it last saw of the file
// (`seenStamp`, `checkedAt`) and the numbering of its reads (`started`, `applied`).
import { readFile, stat } from "node:fs/promises";
import { parseKeyHashes } from "../../shared/terminal-keys.ts";

export interface TerminalKeysRepository {
  /** The SHA-256 of the terminal's key, or undefined for a terminal without one. */
  digestOf(terminalId: string): Promise<Buffer | undefined>;
  /** Reads the file again if it changed since it was last read. */
  refresh(): Promise<void>;
}

export interface TerminalKeysOptions {
  recheckMs?: number;
  now?: () => number;
}

/** A missing file is no keys at all: every terminal is refused until one is issued. */
const MISSING = "missing";

export function createTerminalKeysRepository(
  file: string,
  { recheckMs = 1000, now = Date.now }: TerminalKeysOptions = {},
): TerminalKeysRepository {
  let digests = new Map<string, Buffer>();
  let seenStamp: string | undefined;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let started = 0;
  let applied = 0;

  async function stampOf(): Promise<string> {
    try {
      const s = await stat(file);
      // The file is replaced by a rename, so a new version is a new inode even within one mtime tick.
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return MISSING;
      throw error;
    }
  }

  async function refresh(): Promise<void> {
    const read = ++started;
    checkedAt = now();
    const stamp = await stampOf();
    if (stamp === seenStamp) return;
    const text = stamp === MISSING ? undefined : await readFile(file, "utf8").catch(ignoreMissing);
    const next = new Map<string, Buffer>();
    for (const [terminalId, entry] of Object.entries(text === undefined ? {} : parseKeyHashes(text)))
      next.set(terminalId, Buffer.from(entry.sha256, "hex"));
    // Reads may overlap: one started earlier must not put back an older version of the file.
    if (read < applied) return;
    applied = read;
    digests = next;
    seenStamp = stamp;
  }

  return {
    async digestOf(terminalId) {
      if (now() - checkedAt >= recheckMs) await refresh();
      return digests.get(terminalId);
    },
    refresh,
  };
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code === "ENOENT") return undefined;
  throw error;
}
