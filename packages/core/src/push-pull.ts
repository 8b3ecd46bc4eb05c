import { decodePushPull, encodePushPull, scanPushPull, type Update } from './codec/index.ts'
import type { Context } from './context.ts'
import type { ClaimTable } from './table.ts'
import type { UserEvents } from './user-events.ts'

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

  /** Our whole state, encoded. */
  encodeState(join: boolean): Uint8Array {
    const updates: Update[] = []
    const own = this.table.self.aliveClaim
    if (own !== undefined) updates.push(own)
    for (const r of this.ctx.list.values()) {
      updates.push(r.aliveClaim)
      if (r.stateClaim !== undefined) updates.push(r.stateClaim)
    }
    return encodePushPull({
      join,
      updates,
      events: join ? [] : this.events.recent(SYNC_EVENTS),
      eventLtime: this.events.clock,
    })
  }

  /**
   * Decodes and merges a remote state (throws DecodeError / MessageTooLargeError, counted by the
   * caller). `verified` is set while asynchronous signature checks of its claims are pending.
   * Claims we already hold are recognised from their headers and never fully decoded; anything
   * irregular goes through the full decoder, so the outcome is the same either way.
   */
  merge(bytes: Uint8Array, joining: boolean): { join: boolean; claims: number; verified?: Promise<unknown> } {
    const scanned = scanPushPull(bytes, this.ctx.config)
    const msg = scanned ?? decodePushPull(bytes, this.ctx.config)
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
    this.ctx.stats.pushPulls++
    const claims =
      scanned === undefined ? (msg as ReturnType<typeof decodePushPull>).updates.length : scanned.claims.count
    return { join: msg.join, claims, ...(pending.length === 0 ? {} : { verified: Promise.allSettled(pending) }) }
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
      // our state before theirs is merged, so that we do not echo their own claims back
      const response = this.encodeState(false)
      const msg = this.merge(bytes, false)
      if (msg.verified !== undefined) {
        release = false
        void msg.verified.then(() => this.inflight--)
      }
      ctx.log.trace('served push-pull from %s (join=%s, %d claims)', from, msg.join, msg.claims)
      return response
    } finally {
      if (release) this.inflight--
    }
  }
}
