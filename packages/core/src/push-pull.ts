import { decodePushPull, encodePushPull, scanPushPull, type Update, type UserEvent } from './codec/index.ts'
import type { Context } from './context.ts'
import { DecodeError } from './errors.ts'
import type { ClaimTable } from './table.ts'
import type { UserEvents } from './user-events.ts'

/** What a push-pull message is (its `mode` field): see messages.proto. */
export const SyncMode = {
  /** Full state; the answer to it is full state too. Joins, and nodes that know no modes. */
  FULL: 0,
  /** Only a fingerprint: answered by IN_SYNC or by full state. */
  DIGEST: 1,
  /** The answer to a DIGEST that matched. */
  IN_SYNC: 2,
  /** Full state, no state wanted back: answered by PUSHED. */
  PUSH: 3,
  /** The receipt of a PUSH. */
  PUSHED: 4,
} as const

/** A merged push-pull message, as the exchange needs it. */
export interface Merged {
  join: boolean
  mode: number
  claims: number
  digestLo: number
  digestHi: number
  eventLtime: number
  /** Set while asynchronous signature checks of its claims are pending. */
  verified?: Promise<unknown>
}

/** Events included in a periodic sync, so a node that missed gossip still gets them. */
const SYNC_EVENTS = 64

/**
 * memberlist's push-pull interval scaling: unchanged up to 32 members, then one more interval
 * per doubling, so the cluster-wide sync load stays flat as it grows.
 */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= 32) return intervalMs
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(32)) + 1
  return intervalMs * multiplier
}

/**
 * Full-state anti-entropy. Our state is every member's latest alive claim, then the claim that
 * put it in its current state when that is not alive; the receiver runs each through the same
 * precedence and signature checks as gossip, so a sync can never do what gossip could not.
 */
export class PushPullSync {
  private inflight = 0

  constructor(
    private readonly ctx: Context,
    private readonly table: ClaimTable,
    private readonly events: UserEvents,
  ) {}

  /** Our fingerprint: the table's plus our own entry, as the others hold it. */
  digest(): [lo: number, hi: number] {
    const self = this.table.self
    return this.ctx.list.digest.with(this.ctx.selfId, self.incarnation, self.leaving ? 'left' : 'alive')
  }

  /** Our whole state, encoded (mode FULL, or PUSH when no state is wanted back). */
  encodeState(join: boolean, mode: number = SyncMode.FULL): Uint8Array {
    const updates: Update[] = []
    const own = this.table.self.aliveClaim
    if (own !== undefined) updates.push(own)
    for (const r of this.ctx.list.values()) {
      updates.push(r.aliveClaim)
      if (r.stateClaim !== undefined) updates.push(r.stateClaim)
    }
    return this.encode(join, mode, updates, join ? [] : this.events.recent(SYNC_EVENTS))
  }

  /** A message without state: a fingerprint request, an "in sync" answer or a receipt. */
  encodeDigest(mode: number): Uint8Array {
    return this.encode(false, mode, [], [])
  }

  private encode(join: boolean, mode: number, updates: Update[], events: UserEvent[]): Uint8Array {
    const [digestLo, digestHi] = this.digest()
    return encodePushPull({ join, updates, events, eventLtime: this.events.clock, mode, digestLo, digestHi })
  }

  /** Do we hold the same table and have seen the same user events as the sender of `msg`? */
  agrees(msg: Pick<Merged, 'digestLo' | 'digestHi' | 'eventLtime'>): boolean {
    const [lo, hi] = this.digest()
    return msg.digestLo === lo && msg.digestHi === hi && msg.eventLtime === this.events.clock
  }

  /**
   * Decodes and merges a remote state (throws DecodeError / MessageTooLargeError, counted by the
   * caller). `verified` is set while asynchronous signature checks of its claims are pending.
   * Claims we already hold are recognised from their headers and never fully decoded; anything
   * irregular goes through the full decoder, so the outcome is the same either way. `before`
   * runs once the message is decoded and before anything is merged (a responder encodes its
   * answer there, so as not to echo the requester's own claims back).
   */
  merge(bytes: Uint8Array, joining: boolean, before?: (msg: Merged) => void): Merged {
    const scanned = scanPushPull(bytes, this.ctx.config)
    const msg = scanned ?? decodePushPull(bytes, this.ctx.config)
    const mode = msg.mode > SyncMode.PUSHED ? SyncMode.FULL : msg.mode // unknown modes: a later full exchange
    const claims =
      scanned === undefined ? (msg as ReturnType<typeof decodePushPull>).updates.length : scanned.claims.count
    const out: Merged = {
      join: msg.join,
      mode,
      claims,
      digestLo: msg.digestLo,
      digestHi: msg.digestHi,
      eventLtime: msg.eventLtime,
    }
    before?.(out)
    const pending: Promise<void>[] = []
    const receive = (u: Update) => {
      const p = this.table.receive(u)
      if (p !== undefined) pending.push(p)
    }
    if (scanned === undefined) for (const u of (msg as ReturnType<typeof decodePushPull>).updates) receive(u)
    else this.table.receiveScanned(scanned.claims, receive)
    if (joining) this.events.skipHistory(msg.eventLtime)
    else this.events.witness(msg.eventLtime)
    for (const e of msg.events) {
      const p = this.events.receive(e)
      if (p !== undefined) pending.push(p)
    }
    if (mode === SyncMode.FULL || mode === SyncMode.PUSH) this.ctx.stats.pushPulls++
    if (pending.length > 0) out.verified = Promise.allSettled(pending)
    return out
  }

  /** Serves a remote push-pull: answer with our state, then merge theirs. */
  async serve(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    const { ctx } = this
    if (this.inflight >= ctx.config.maxConcurrentPushPull) {
      ctx.stats.drops['sync-busy']++
      throw new Error(`push-pull refused: ${this.inflight} already in progress (maxConcurrentPushPull)`)
    }
    // A request counts as in progress until its claims are verified: with an asynchronous
    // verifier that outlasts the (synchronous) merge, and it is the costly part.
    this.inflight++
    let release = true
    try {
      let response: Uint8Array | undefined
      const msg = this.merge(bytes, false, (m) => {
        if (m.mode === SyncMode.IN_SYNC || m.mode === SyncMode.PUSHED) {
          throw new DecodeError(`push-pull request in answer mode ${m.mode}`)
        }
        // our state before theirs is merged, so that we do not echo their own claims back
        if (m.mode === SyncMode.FULL) response = this.encodeState(false)
        else if (m.mode === SyncMode.PUSH) response = this.encodeDigest(SyncMode.PUSHED)
        else if (this.agrees(m)) {
          ctx.stats.syncsInSync++
          response = this.encodeDigest(SyncMode.IN_SYNC)
        } else response = this.encodeState(false)
      })
      if (msg.verified !== undefined) {
        release = false
        void msg.verified.then(() => this.inflight--)
      }
      ctx.log.trace('served push-pull from %s (join=%s, %d claims)', from, msg.join, msg.claims)
      return response!
    } finally {
      if (release) this.inflight--
    }
  }
}
