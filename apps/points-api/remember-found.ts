// Every command names a user, a store and a terminal, and the API checks them before producing.
// Those rows are only ever added (this API has no delete), so a lookup that found one is answered
// from memory from then on; a miss always asks the database again, as another instance may have
// just created the row. Without this, three queries per command were most of the API's CPU.
import { oldestFirst } from "../shared/oldest-first.ts";

export function rememberFound<V>(
  lookup: (key: string) => Promise<V>,
  found: (value: V) => boolean,
  maxEntries = 200_000,
): (key: string) => Promise<V> {
  const known = new Map<string, V>();
  const oldest = oldestFirst(known);
  return async (key) => {
    const remembered = known.get(key);
    if (remembered !== undefined) return remembered;
    const value = await lookup(key);
    if (found(value)) {
      if (known.size >= maxEntries) known.delete(oldest()!);
      known.set(key, value);
    }
    return value;
  };
}
