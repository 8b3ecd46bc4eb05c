/**
 * How many times each update is piggybacked: `retransmitMult * ceil(log10(n + 1))`
 * (memberlist retransmitLimit; n = members known).
 */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1))
}

interface Entry<T> {
  key: string
  item: T
  size: number
  transmits: number
  /** Members that have it (we sent it to them, or they told it to the world): see take(). */
  have: Set<string> | undefined
}

/**
 * Pending broadcasts, at most one per key (a newer item for the same key replaces the older),
 * handed out least-transmitted first and dropped once sent `limit()` times. Buckets by transmit
 * count keep every operation cheap at ten thousand members.
 */
export class TransmitLimitedQueue<T> {
  private readonly byKey = new Map<string, Entry<T>>()
  private readonly buckets: Map<string, Entry<T>>[] = []
  /** No pending item is smaller than this (a lower bound, reset when the queue empties). */
  private minSize = Number.POSITIVE_INFINITY

  /**
   * `limit` is read on every call, so it follows the cluster size. `onFill` runs when an item
   * lands in an empty queue (the engine's gossip loop sleeps while there is nothing to send).
   */
  constructor(
    private readonly limit: () => number,
    private readonly onFill?: () => void,
    /** Whether these members are all the live ones (besides ourselves): the item is then done. */
    private readonly everyone?: (have: ReadonlySet<string>) => boolean,
  ) {}

  get size(): number {
    return this.byKey.size
  }

  /**
   * Queues `item` under `key`, replacing (invalidating) any pending item with that key. `have`:
   * members known to hold it already (its origin), never sent it by a take() that names its
   * recipient.
   */
  enqueue(key: string, item: T, size: number, have?: readonly string[]): void {
    this.remove(key)
    this.minSize = Math.min(this.minSize, size)
    const entry: Entry<T> = { key, item, size, transmits: 0, have: have === undefined ? undefined : new Set(have) }
    this.byKey.set(key, entry)
    this.bucket(0).set(key, entry)
    if (this.byKey.size === 1) this.onFill?.()
  }

  has(key: string): boolean {
    return this.byKey.has(key)
  }

  remove(key: string): void {
    const old = this.byKey.get(key)
    if (old === undefined) return
    this.byKey.delete(key)
    this.buckets[old.transmits]?.delete(key)
    if (this.byKey.size === 0) this.minSize = Number.POSITIVE_INFINITY
  }

  /**
   * Items whose sizes (each plus `overhead`) fit in `budget` bytes, least-transmitted first;
   * each one handed out counts as a transmission. With `to`, the packet's recipient: items it
   * already has (sent to it before, or its own) are left for others, so that a small cluster's
   * few transmissions reach every member rather than the same one twice.
   */
  take(budget: number, overhead = 2, to?: string): T[] {
    const out: T[] = []
    if (this.byKey.size === 0) return out
    const limit = this.limit()
    let left = budget
    const moved: Entry<T>[] = []
    // once nothing pending can fit, looking further changes nothing: stop
    scan: for (let t = 0; t < this.buckets.length && left > 0; t++) {
      const bucket = this.buckets[t]
      if (bucket === undefined || bucket.size === 0) continue
      for (const entry of bucket.values()) {
        if (left < this.minSize + overhead) break scan
        const cost = entry.size + overhead
        if (cost > left) continue
        if (to !== undefined) {
          if (entry.have?.has(to) === true) continue
          entry.have ??= new Set()
          entry.have.add(to)
        }
        left -= cost
        out.push(entry.item)
        bucket.delete(entry.key)
        moved.push(entry)
        if (left < overhead + 8) break
      }
    }
    for (const entry of moved) {
      entry.transmits++
      const done = entry.have !== undefined && this.everyone?.(entry.have) === true
      if (entry.transmits >= limit || done) this.byKey.delete(entry.key)
      else this.bucket(entry.transmits).set(entry.key, entry)
    }
    if (this.byKey.size === 0) this.minSize = Number.POSITIVE_INFINITY
    return out
  }

  /** Transmissions still owed for `key`, or 0 when nothing is pending. */
  remaining(key: string): number {
    const entry = this.byKey.get(key)
    return entry === undefined ? 0 : Math.max(0, this.limit() - entry.transmits)
  }

  private bucket(t: number): Map<string, Entry<T>> {
    let b = this.buckets[t]
    if (b === undefined) {
      b = new Map()
      this.buckets[t] = b
    }
    return b
  }
}
