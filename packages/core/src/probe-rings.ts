/**
 * Probe rings: a monitoring overlay for clusters larger than a node's connection budget.
 *
 * memberlist probes every member in turn, so over a connection-oriented transport a node ends
 * up holding a connection to everyone, or, past its budget, pays a handshake for most probes.
 * With `probeRings = K`, every member sits on K rings, each ordered by a hash of (ring, id),
 * and a node probes only its successor on each ring (the first live member after it), one ring
 * per probe interval in turn. Its probes then go to at most K members, and it is probed by at
 * most K (its predecessors): about 2K connections, however large the cluster.
 *
 * What SWIM needs still holds. Every live member is the successor of the live member before it
 * on each ring, so, as long as the members agree on who is live, every one of them is probed by
 * its K predecessors, each once every K intervals: once per interval on average, as with
 * uniform targets, and within K intervals at worst (memberlist's round-robin bounds it by a
 * whole pass, n intervals). A member declared dead is skipped, and its successors get a new
 * prober at once. A newcomer one node does not know yet is still probed by the nodes that do.
 *
 * Positions come from a hash of the cluster name, the ring and the id. A member who could choose
 * its id to sit just before a victim on every ring would be the victim's only prober, and could
 * hide its crash; with independent rings that takes about n^K tries of key generation for one
 * identity (SECURITY.md).
 */
export class ProbeRings {
  /** Each ring's members (ourselves included), sorted by position, then id. */
  private readonly rings: Array<Array<{ at: number; id: string }>>
  private next = 0

  constructor(
    readonly count: number,
    private readonly salt: string,
    private readonly selfId: string,
  ) {
    this.rings = Array.from({ length: count }, () => [])
    this.add(selfId)
  }

  add(id: string): void {
    for (let r = 0; r < this.count; r++) {
      const ring = this.rings[r]!
      const entry = { at: this.position(r, id), id }
      const i = this.search(ring, entry.at, id)
      if (ring[i]?.id !== id) ring.splice(i, 0, entry)
    }
  }

  remove(id: string): void {
    if (id === this.selfId) return
    for (let r = 0; r < this.count; r++) {
      const ring = this.rings[r]!
      const i = this.search(ring, this.position(r, id), id)
      if (ring[i]?.id === id) ring.splice(i, 1)
    }
  }

  /**
   * The member to probe this interval: our successor among those `accept`ed (the live ones) on
   * the next ring in turn; undefined when no other member is accepted.
   */
  nextTarget(accept: (id: string) => boolean): string | undefined {
    const r = this.next
    this.next = (this.next + 1) % this.count
    return this.successor(r, accept)
  }

  /** Our successor on ring `r` among the `accept`ed members. */
  successor(r: number, accept: (id: string) => boolean): string | undefined {
    const ring = this.rings[r]!
    const self = this.search(ring, this.position(r, this.selfId), this.selfId)
    for (let step = 1; step < ring.length; step++) {
      const id = ring[(self + step) % ring.length]!.id
      if (accept(id)) return id
    }
    return undefined
  }

  /** 32-bit FNV-1a of salt, ring and id, finished with murmur3's fmix32 for avalanche. */
  private position(r: number, id: string): number {
    let h = 0x811c9dc5
    const mix = (s: string) => {
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
    }
    mix(this.salt)
    h = Math.imul(h ^ (0x100 + r), 0x01000193)
    mix(id)
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    return h >>> 0
  }

  /** Where (at, id) is or would go in `ring`. */
  private search(ring: ReadonlyArray<{ at: number; id: string }>, at: number, id: string): number {
    let lo = 0
    let hi = ring.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const e = ring[mid]!
      if (e.at < at || (e.at === at && e.id < id)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
