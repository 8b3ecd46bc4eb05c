import type { TimerId } from './clock.ts'
import { decodePushPull, encodePushPull, scanPushPull, type Update, type UserEvent } from './codec/index.ts'
import type { Context } from './context.ts'
import { SyncRefusedError, UnexpectedSyncModeError } from './errors.ts'
import { countDecodeError } from './metrics.ts'
import { randomInt } from './random.ts'
import type { ClaimTable } from './table.ts'
import type { Peer, Transport } from './transport.ts'
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

/** A push-pull mode, as known to this version (unknown modes are read as FULL). */
export type SyncMode = (typeof SyncMode)[keyof typeof SyncMode]

/** A merged push-pull message, as the exchange needs it. */
export interface Merged {
  join: boolean
  mode: SyncMode
  claims: number
  digestLo: number
  digestHi: number
  eventLtime: number
  /** Set while asynchronous signature checks of its claims are pending. */
  verified?: Promise<unknown>
}

/** Options of one push-pull exchange that we start. */
export interface SyncRequestOptions {
  /** A join: a full exchange without event history. @default false */
  join?: boolean
  signal?: AbortSignal
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
 * Full-state anti-entropy, both sides of the exchange and its periodic loop. Our state is every
 * member's latest alive claim, then the claim that put it in its current state when that is not
 * alive; the receiver runs each through the same precedence and signature checks as gossip, so a
 * sync can never do what gossip could not.
 */
export class PushPullSync {
  private inflight = 0
  private timer: TimerId
  private running = false
  private syncing = false
  private reconnecting = false

  constructor(
    private readonly ctx: Context,
    private readonly table: ClaimTable,
    private readonly events: UserEvents,
    private readonly transport: Transport,
  ) {}

  /**
   * Starts the periodic loop (when pushPullIntervalMs > 0), first after a random stagger within
   * one interval so that nodes started together do not sync in lockstep.
   */
  start(): void {
    if (this.running || this.ctx.config.pushPullIntervalMs <= 0) return
    this.running = true
    this.schedule(randomInt(this.ctx.random, this.interval()))
  }

  stop(): void {
    this.running = false
    this.ctx.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /**
   * One push-pull exchange that we start, with a member or a bare address (a join seed). A join
   * is a full exchange. A periodic sync first compares fingerprints; when they differ the answer
   * is the other's full state, and we push ours unless merging it made the two agree (the other
   * held everything we did). Rejects on timeout, transport failure or a bad answer (counted).
   */
  async request(to: Peer | string, options: SyncRequestOptions = {}): Promise<void> {
    const { clock, config } = this.ctx
    const join = options.join ?? false
    const controller = new AbortController()
    const timer = clock.setTimeout(
      () => controller.abort(new Error(`push-pull timed out after ${config.requestTimeoutMs} ms`)),
      config.requestTimeoutMs,
    )
    const onAbort = () => controller.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort)
    const exchange = async (request: Uint8Array, expect: readonly SyncMode[]) => {
      this.ctx.stats.bytesOut += request.byteLength
      const response = await this.transport.request(to, request, { signal: controller.signal })
      this.ctx.stats.bytesIn += response.byteLength
      try {
        return this.merge(response, join, (m) => {
          if (!expect.includes(m.mode)) {
            throw new UnexpectedSyncModeError(`push-pull answer in unexpected mode ${m.mode}`, m.mode)
          }
        })
      } catch (err) {
        countDecodeError(this.ctx.stats, err)
        throw err
      }
    }
    try {
      if (join) await exchange(this.encodeState(true), [SyncMode.FULL])
      else {
        const answer = await exchange(this.encodeDigest(SyncMode.DIGEST), [SyncMode.IN_SYNC, SyncMode.FULL])
        if (answer.mode === SyncMode.IN_SYNC) this.ctx.stats.syncsInSync++
        else if (!this.agrees(answer)) {
          await exchange(this.encodeState(false, SyncMode.PUSH), [SyncMode.PUSHED, SyncMode.FULL])
        }
      }
    } finally {
      clock.clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** One periodic round: a sync with a random live member, and a reconnect attempt. */
  private tick(): void {
    if (!this.running) return
    const [peer] = this.ctx.list.sample(1, (r) => r.state === 'alive')
    if (peer !== undefined && !this.syncing) {
      this.syncing = true
      this.request(peer)
        .catch((err) => this.ctx.log('periodic push-pull with %s failed: %s', peer.id, (err as Error).message))
        .finally(() => {
          this.syncing = false
        })
    }
    this.reconnect()
    this.schedule(this.interval())
  }

  /**
   * Serf's reconnect: one push-pull per interval with a random dead member. After a partition
   * heals, nobody probes or (past gossipToTheDeadMs) gossips to the other side; this exchange
   * carries each side's accusations to the accused, who refute, and the views merge. A member
   * that really crashed just refuses, until its tombstone is reaped.
   */
  private reconnect(): void {
    if (this.reconnecting) return
    const [dead] = this.ctx.list.sample(1, (r) => r.state === 'dead')
    if (dead === undefined) return
    this.reconnecting = true
    this.request(dead)
      .catch((err) => this.ctx.log.trace('reconnect to dead %s failed: %s', dead.id, (err as Error).message))
      .finally(() => {
        this.reconnecting = false
      })
  }

  private schedule(ms: number): void {
    if (this.running) this.timer = this.ctx.clock.setTimeout(() => this.tick(), ms)
  }

  private interval(): number {
    return pushPullScale(this.ctx.config.pushPullIntervalMs, this.ctx.clusterSize())
  }

  /** Our fingerprint: the table's plus our own entry, as the others hold it. */
  digest(): [lo: number, hi: number] {
    const self = this.table.self
    return this.ctx.list.digest.with(this.ctx.selfId, self.incarnation, self.leaving ? 'left' : 'alive')
  }

  /** Our whole state, encoded (mode FULL, or PUSH when no state is wanted back). */
  encodeState(join: boolean, mode: SyncMode = SyncMode.FULL): Uint8Array {
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
  encodeDigest(mode: SyncMode): Uint8Array {
    return this.encode(false, mode, [], [])
  }

  private encode(join: boolean, mode: SyncMode, updates: Update[], events: UserEvent[]): Uint8Array {
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
    // unknown modes (a later version's): a full exchange
    const mode = (msg.mode > SyncMode.PUSHED ? SyncMode.FULL : msg.mode) as SyncMode
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

  /**
   * Serves a remote push-pull: answer with our state, then merge theirs. Rejects with
   * SyncRefusedError when too many are in progress, and with DecodeError or
   * MessageTooLargeError on bad input; each is counted.
   */
  async serve(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    this.ctx.stats.bytesIn += bytes.byteLength
    try {
      const response = await this.answer(from, bytes)
      this.ctx.stats.bytesOut += response.byteLength
      return response
    } catch (err) {
      countDecodeError(this.ctx.stats, err)
      throw err
    }
  }

  private async answer(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    const { ctx } = this
    if (this.inflight >= ctx.config.maxConcurrentPushPull) {
      ctx.stats.drops['sync-busy']++
      throw new SyncRefusedError(
        `push-pull refused: ${this.inflight} already in progress (maxConcurrentPushPull)`,
        'busy',
      )
    }
    // A request counts as in progress until its claims are verified: with an asynchronous
    // verifier that outlasts the (synchronous) merge, and it is the costly part.
    this.inflight++
    let release = true
    try {
      let response: Uint8Array | undefined
      const msg = this.merge(bytes, false, (m) => {
        if (m.mode === SyncMode.IN_SYNC || m.mode === SyncMode.PUSHED) {
          throw new UnexpectedSyncModeError(`push-pull request in answer mode ${m.mode}`, m.mode)
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
