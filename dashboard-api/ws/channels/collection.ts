import type { Dirty } from '../coalescer.ts'

/**
 * Snapshot and delta of a keyed, possibly filtered set of views.
 *
 * A delta upserts the current value of every dirty key in the set and removes every dirty key
 * that left it. `members` is the union of the keys any subscriber may hold: the last delta's set
 * plus every key handed out in a snapshot since. Removing a key a client does not hold is a
 * no-op, so over-approximating is safe; under-approximating would leave a stale item on a
 * screen (an item that entered the set, was snapshotted, and left before the next delta).
 */
export function collectionSnapshot<T>(
  items: readonly T[],
  key: (t: T) => string,
  members: Set<string>
): { items: T[] } {
  for (const it of items) members.add(key(it))
  return { items: [...items] }
}

export function collectionDelta<T>(
  current: readonly T[],
  key: (t: T) => string,
  dirty: Dirty,
  members: Set<string>
): { items: T[]; removed: string[] } | undefined {
  const items: T[] = []
  const removed: string[] = []
  if (dirty.all) {
    const now = new Set<string>()
    for (const it of current) {
      const k = key(it)
      now.add(k)
      items.push(it)
    }
    for (const k of members) if (!now.has(k)) removed.push(k)
    members.clear()
    for (const k of now) members.add(k)
  } else {
    const byKey = new Map<string, T>()
    for (const it of current) {
      const k = key(it)
      if (dirty.keys.has(k)) byKey.set(k, it)
    }
    for (const k of dirty.keys) {
      const it = byKey.get(k)
      if (it !== undefined) {
        items.push(it)
        members.add(k)
      } else if (members.delete(k)) removed.push(k)
    }
  }
  return items.length > 0 || removed.length > 0 ? { items, removed } : undefined
}
