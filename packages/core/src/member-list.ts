import type { Update } from './codec/index.ts'
import type { Coordinate } from './coordinate.ts'
import { StateDigest } from './digest.ts'
import type { Explanation, Member, MemberState } from './member.ts'
import { ProbeRings } from './probe-rings.ts'
import { type Random, randomInt, sampleK, shuffle } from './random.ts'
import type { Suspicion } from './suspicion.ts'

/** What the engine keeps per member: the public snapshot fields plus the claims behind them. */
export interface MemberRecord {
  id: string
  addrs: readonly string[]
  state: MemberState
  incarnation: number
  metadata: Uint8Array
  stateChangedAt: number
  rttMs?: number
  reason?: Explanation
  /** The member's own latest signed alive claim (addresses, metadata). */
  aliveClaim: Update
  /** The signed claim behind a suspect, dead or left state. */
  stateClaim?: Update
  suspicion?: Suspicion
  /** The network coordinate it sent with its last direct ack to us. */
  coordinate?: Coordinate
}

export function snapshot(r: MemberRecord): Member {
  return {
    id: r.id,
    addrs: r.addrs,
    state: r.state,
    incarnation: r.incarnation,
    metadata: r.metadata,
    stateChangedAt: r.stateChangedAt,
    ...(r.rttMs === undefined ? {} : { rttMs: r.rttMs }),
    ...(r.reason === undefined ? {} : { reason: r.reason }),
    ...(r.coordinate === undefined ? {} : { coordinate: r.coordinate }),
  }
}

/**
 * The members other than ourselves, plus the probe order. By default memberlist's randomized
 * round-robin: each pass walks a shuffled list, so every live member is probed once per pass;
 * newcomers are inserted at a random position; the list is reshuffled when a pass ends. With
 * probe rings (config probeRings), our successors on the rings instead (ProbeRings).
 */
export class MemberList {
  private readonly byId = new Map<string, MemberRecord>()
  private order: string[] = []
  private cursor = 0
  private live = 0
  /** The fingerprint of (id, incarnation, state) over every record. */
  readonly digest = new StateDigest()

  private readonly rings: ProbeRings | undefined

  /** `rings`: probe rings instead of the round-robin (config probeRings > 0). */
  constructor(
    private readonly random: Random,
    rings?: { count: number; salt: string; selfId: string },
  ) {
    this.rings =
      rings === undefined || rings.count === 0
        ? undefined
        : new ProbeRings(rings.count, rings.salt, rings.selfId, () => this.liveIds())
  }

  private *liveIds(): Generator<string> {
    for (const r of this.byId.values()) if (isLive(r.state)) yield r.id
  }

  get size(): number {
    return this.byId.size
  }

  /** Members alive or suspect (not counting ourselves). */
  get liveCount(): number {
    return this.live
  }

  get(id: string): MemberRecord | undefined {
    return this.byId.get(id)
  }

  values(): IterableIterator<MemberRecord> {
    return this.byId.values()
  }

  add(record: MemberRecord): void {
    this.byId.set(record.id, record)
    this.digest.toggle(record.id, record.incarnation, record.state)
    if (isLive(record.state)) {
      this.live++
      this.rings?.arrived(record.id)
    }
    // insert at a random position, so a newcomer is not always probed last (memberlist)
    const at = randomInt(this.random, this.order.length + 1)
    this.order.push(record.id)
    const tmp = this.order[at]
    this.order[at] = record.id
    this.order[this.order.length - 1] = tmp
  }

  /**
   * The one way to change a record's incarnation or state (keeps the live count and the digest
   * right). Returns whether the state changed.
   */
  setState(r: MemberRecord, state: MemberState, incarnation: number): boolean {
    const prev = r.state
    if (prev === state && r.incarnation === incarnation) return false
    this.digest.toggle(r.id, r.incarnation, prev)
    r.state = state
    r.incarnation = incarnation
    this.digest.toggle(r.id, incarnation, state)
    this.live += (isLive(state) ? 1 : 0) - (isLive(prev) ? 1 : 0)
    if (isLive(state) && !isLive(prev)) this.rings?.arrived(r.id)
    else if (!isLive(state) && isLive(prev)) this.rings?.gone(r.id)
    return prev !== state
  }

  remove(id: string): MemberRecord | undefined {
    const r = this.byId.get(id)
    if (r === undefined) return undefined
    this.byId.delete(id)
    this.digest.toggle(r.id, r.incarnation, r.state)
    if (isLive(r.state)) this.live--
    this.rings?.gone(id)
    const at = this.order.indexOf(id)
    if (at >= 0) {
      this.order.splice(at, 1)
      if (at < this.cursor) this.cursor--
    }
    return r
  }

  /** The next member to probe (alive or suspect), or undefined when there is none. */
  nextProbeTarget(): MemberRecord | undefined {
    if (this.rings !== undefined) {
      const id = this.rings.nextTarget()
      return id === undefined ? undefined : this.byId.get(id)
    }
    for (let checked = 0; checked <= this.order.length; checked++) {
      if (this.cursor >= this.order.length) {
        shuffle(this.random, this.order)
        this.cursor = 0
        if (this.order.length === 0) return undefined
      }
      const r = this.byId.get(this.order[this.cursor++])
      if (r !== undefined && isLive(r.state)) return r
    }
    return undefined
  }

  /** Whether `ids` holds every live member (for the gossip queues: everyone has the item). */
  allLiveIn(ids: ReadonlySet<string>): boolean {
    if (ids.size < this.live) return false
    for (const r of this.byId.values()) if (isLive(r.state) && !ids.has(r.id)) return false
    return true
  }

  /** Our live successor on each probe ring, without repeats; empty without rings. */
  probeRingTargets(): string[] {
    const rings = this.rings
    if (rings === undefined) return []
    const out = new Set<string>()
    for (let r = 0; r < rings.count; r++) {
      const id = rings.successor(r)
      if (id !== undefined) out.add(id)
    }
    return [...out]
  }

  /** Up to k random members passing `accept`, without copying the list. */
  sample(k: number, accept: (r: MemberRecord) => boolean): MemberRecord[] {
    const ids = sampleK(this.random, this.order, k, (id) => {
      const r = this.byId.get(id)
      return r !== undefined && accept(r)
    })
    return ids.map((id) => this.byId.get(id)!)
  }
}

export function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect'
}
