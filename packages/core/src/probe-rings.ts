import { fmix32 } from './digest.ts'

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
 * prober at once. A newcomer is probed once its predecessors have heard of it (gossip, a join's
 * push-pull: seconds).
 *
 * Positions come from a hash of the cluster name, the ring and the id. A member who could choose
 * its id to sit just before a victim on every ring would be the victim's only prober, and could
 * hide its crash; with independent rings that takes about n^K tries of key generation for one
 * identity (SECURITY.md).
 */
export class ProbeRings {
  /** Our position on each ring. */
  private readonly selfAt: number[]
  /** Our successor on each ring among the live members, with its distance from us. */
  private readonly best: Array<{ id: string; dist: number } | undefined>
  /** Rings whose successor left the live set: found again by a scan at the next use. */
  private readonly stale: boolean[]
  private next = 0

  /**
   * O(K) memory per node and O(K) per membership change: only each ring's successor is kept, and
   * a scan of the live members (`live`) finds the next one when it dies or leaves.
   */
  constructor(
    readonly count: number,
    private readonly salt: string,
    private readonly selfId: string,
    private readonly live: () => Iterable<string>,
  ) {
    this.selfAt = Array.from({ length: count }, (_, r) => this.position(r, selfId))
    this.best = Array.from({ length: count }, () => undefined)
    this.stale = Array.from({ length: count }, () => false)
  }

  /** `id` is live now (new, or back from dead): it may be closer than a ring's successor. */
  arrived(id: string): void {
    if (id === this.selfId) return
    for (let r = 0; r < this.count; r++) if (!this.stale[r]) this.offer(r, id)
  }

  /** `id` is no longer live (dead, left or removed): the rings it was our successor on look again. */
  gone(id: string): void {
    for (let r = 0; r < this.count; r++) if (this.best[r]?.id === id) this.stale[r] = true
  }

  /** The member to probe this interval: our successor on the next ring in turn (undefined: none). */
  nextTarget(): string | undefined {
    const r = this.next
    this.next = (this.next + 1) % this.count
    return this.successor(r)
  }

  /** Our successor on ring `r` among the live members. */
  successor(r: number): string | undefined {
    if (this.stale[r]) {
      this.stale[r] = false
      this.best[r] = undefined
      for (const id of this.live()) if (id !== this.selfId) this.offer(r, id)
    }
    return this.best[r]?.id
  }

  private offer(r: number, id: string): void {
    const dist = (this.position(r, id) - this.selfAt[r]!) >>> 0
    const b = this.best[r]
    if (b === undefined || dist < b.dist || (dist === b.dist && id < b.id)) this.best[r] = { id, dist }
  }

  /** 32-bit FNV-1a of salt, ring and id, finished with murmur3's fmix32 for avalanche. */
  private position(r: number, id: string): number {
    let h = 0x811c9dc5
    for (let i = 0; i < this.salt.length; i++) h = Math.imul(h ^ this.salt.charCodeAt(i), 0x01000193)
    h = Math.imul(h ^ (0x100 + r), 0x01000193)
    for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
    return fmix32(h)
  }
}
