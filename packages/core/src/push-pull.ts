import type { TimerId } from './clock.ts'
import { decodePushPull, encodePushPull, scanPushPull, type Update, type UserEvent } from './codec/index.ts'
import type { Context, Via } from './context.ts'
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
  /** Set when the merge goes on asynchronously (signature checks in batches); resolves when done. */
  settled?: Promise<void>
}

/** Options of one push-pull exchange that we start. */
export interface SyncRequestOptions {
  /** A join: a full exchange without event history. @default false */
  join?: boolean
  signal?: AbortSignal
}

/** A merge step that waits for the claims before the events. */
const BARRIER = Promise.resolve()

/** Signature checks between two yields to the event loop while merging a state. */
const VERIFY_BATCH = 128

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
/** Requests that may wait for a push-pull slot, per slot (PushPullSync.slot). */
export const SYNC_WAITING_PER_SLOT = 4

/** Syncs after a join (PushPullSync.afterJoin): after about 1, 2, 4 and 8 probe intervals. */
export const JOIN_RESYNCS = 4

export class PushPullSync {
  private inflight = 0
  /** Requests waiting for a slot (slot()), first come first served. */
  private readonly waiting: Array<() => void> = []
  private timer: TimerId
  private running = false
  private syncing = false
  private reconnecting = false
  /** The syncs after a join (afterJoin) are scheduled or under way. */
  private resyncing = false
  private resyncTimer: TimerId

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
    this.ctx.clock.clearTimeout(this.resyncTimer)
    this.timer = undefined
    this.resyncTimer = undefined
    this.resyncing = false
  }

  /**
   * One push-pull exchange that we start, with a member or a bare address (a join seed). A join
   * is a full exchange. A periodic sync first compares fingerprints; when they differ the answer
   * is the other's full state, and we push ours unless merging it made the two agree (the other
   * held everything we did). Resolves true when the other's table was ours already (its
   * fingerprint matched: nothing learned either way). Rejects on timeout, transport failure or a
   * bad answer (counted).
   */
  async request(to: Peer | string, options: SyncRequestOptions = {}): Promise<boolean> {
    const { clock, config } = this.ctx
    const join = options.join ?? false
    const controller = new AbortController()
    const deadline = join ? config.joinTimeoutMs : config.requestTimeoutMs
    const timer = clock.setTimeout(
      () => controller.abort(new Error(`${join ? 'join' : 'push-pull'} timed out after ${deadline} ms`)),
      deadline,
    )
    const onAbort = () => controller.abort(options.signal?.reason)
    options.signal?.addEventListener('abort', onAbort)
    // the peer answering our join brought it on our asking: its answer is not rate-limited
    const via: Via = { from: typeof to === 'string' ? undefined : to.id, join }
    const exchange = async (request: Uint8Array, expect: readonly SyncMode[]) => {
      this.ctx.stats.bytesOut += request.byteLength
      const response = await this.transport.request(to, request, { signal: controller.signal })
      this.ctx.stats.bytesIn += response.byteLength
      let merged: Merged
      try {
        merged = this.merge(response, via, (m) => {
          if (!expect.includes(m.mode)) {
            throw new UnexpectedSyncModeError(`push-pull answer in unexpected mode ${m.mode}`, m.mode)
          }
        })
      } catch (err) {
        countDecodeError(this.ctx.stats, err)
        throw err
      }
      await merged.settled
      return merged
    }
    try {
      if (join) {
        await exchange(this.encodeState(true), [SyncMode.FULL])
        return false
      }
      const answer = await exchange(this.encodeDigest(SyncMode.DIGEST), [SyncMode.IN_SYNC, SyncMode.FULL])
      if (answer.mode === SyncMode.IN_SYNC) {
        this.ctx.stats.syncsInSync++
        return true
      }
      if (!this.agrees(answer)) {
        await exchange(this.encodeState(false, SyncMode.PUSH), [SyncMode.PUSHED, SyncMode.FULL])
      }
      return false
    } finally {
      clock.clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * After a join: sync again, with a member we hold a connection to (the seed, likely), after
   * about 1, 2, 4 and 8 probe intervals (each ±50%). A join's answer holds the members its seed
   * knew then; when many start together, most join before the others have, and would otherwise
   * learn of them only by gossip (which, with few connections yet, goes mostly through the seed:
   * GossipLoop.preferConnected) or at the next periodic sync, pushPullIntervalMs later. A sync
   * that finds the tables equal does not end the series: in a start storm, two early joiners
   * agree while both still miss the late ones (measured: 50 agents, a few pairs unknown to each
   * other until the periodic sync, 8 s after the rest had converged). Such a sync costs one
   * fingerprint each way. Nothing when the periodic push-pull is off (pushPullIntervalMs 0).
   */
  afterJoin(): void {
    if (this.resyncing) return
    this.resyncing = true
    const { clock, config, random } = this.ctx
    const resync = (round: number) => {
      const [peer] = this.ctx.list.sample(1, (r) => r.state === 'alive' && this.transport.connected?.(r.id) !== false)
      if (peer === undefined || !this.running) {
        this.resyncing = false
        return
      }
      this.request(peer).then(
        () => next(round + 1),
        (err) => {
          this.ctx.log('push-pull after join with %s failed: %s', peer.id, (err as Error).message)
          next(round + 1)
        },
      )
    }
    const next = (round: number) => {
      if (round >= JOIN_RESYNCS || !this.running) {
        this.resyncing = false
        return
      }
      const base = config.probeIntervalMs * 2 ** round
      this.resyncTimer = clock.setTimeout(() => resync(round), base / 2 + randomInt(random, base))
    }
    next(0)
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
    // every alive claim first: the receiver then knows every accuser before any accusation
    for (const r of this.ctx.list.values()) updates.push(r.aliveClaim)
    for (const r of this.ctx.list.values()) if (r.stateClaim !== undefined) updates.push(r.stateClaim)
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
   * caller). Claims we already hold are recognised from their headers and never fully decoded;
   * anything irregular goes through the full decoder, so the outcome is the same either way.
   * `before` runs once the message is decoded and before anything is merged (a responder encodes
   * its answer there, so as not to echo the requester's own claims back).
   *
   * The merge is synchronous while it is cheap. Once VERIFY_BATCH signature checks have been
   * made, or a check is asynchronous, the rest goes on in batches with a yield to the event loop
   * between two (a state of thousands of new claims must not stall the node's probes); `settled`
   * is then set, and resolves when every claim and event has been handled.
   */
  merge(bytes: Uint8Array, via: Via, before?: (msg: Merged) => void): Merged {
    const scanned = scanPushPull(bytes, this.ctx.config)
    const msg = scanned ?? decodePushPull(bytes, this.ctx.config)
    // unknown modes (a later version's): a full exchange
    const mode = (msg.mode > SyncMode.PUSHED ? SyncMode.FULL : msg.mode) as SyncMode
    const decoded = scanned === undefined ? (msg as ReturnType<typeof decodePushPull>).updates : undefined
    const out: Merged = {
      join: msg.join,
      mode,
      claims: decoded?.length ?? scanned!.claims.count,
      digestLo: msg.digestLo,
      digestHi: msg.digestHi,
      eventLtime: msg.eventLtime,
    }
    before?.(out)
    const { table, events } = this
    const history = via.join === true
    // claims first, then events (only members' events count, and their origins may be in here)
    const steps = (function* (): Generator<Promise<void> | undefined> {
      if (decoded !== undefined) for (const u of decoded) yield table.receive(u, via)
      else {
        const claims = scanned!.claims
        while (claims.next()) {
          const h = claims.header()
          if (table.isStale(h)) table.countStale(h)
          else yield table.receive(claims.update(), via)
        }
      }
      yield BARRIER
      for (const e of msg.events) yield events.receive(e, via, history)
    })()
    const settled = this.run(steps)
    if (settled !== undefined) out.settled = settled
    if (mode === SyncMode.FULL || mode === SyncMode.PUSH) this.ctx.stats.pushPulls++
    return out
  }

  /**
   * Runs merge steps synchronously until a batch of signature checks is spent or a step is
   * pending; then waits for what is pending, yields, and goes on. Undefined when all ran here.
   */
  private run(steps: Generator<Promise<void> | undefined>, pending: Promise<void>[] = []): Promise<void> | undefined {
    const verification = this.ctx.verification
    const from = verification.checks // ours since here, whatever other merges check meanwhile
    for (let step = steps.next(); !step.done; step = steps.next()) {
      if (step.value === BARRIER) {
        if (pending.length > 0) return this.resume(steps, pending, false)
      } else if (step.value !== undefined) pending.push(step.value)
      if (verification.checks - from >= VERIFY_BATCH) return this.resume(steps, pending, true)
    }
    return pending.length > 0 ? Promise.allSettled(pending).then(() => {}) : undefined
  }

  /** Waits for the checks pending (and, after a full batch, for the event loop), then runs on. */
  private async resume(
    steps: Generator<Promise<void> | undefined>,
    pending: Promise<void>[],
    yieldFirst: boolean,
  ): Promise<void> {
    await Promise.allSettled(pending)
    if (yieldFirst) await this.yieldToEventLoop()
    await this.run(steps)
  }

  /** Lets timers and I/O run (a macrotask turn) between two batches of signature checks. */
  private yieldToEventLoop(): Promise<void> {
    return new Promise((resolve) => this.ctx.clock.setTimeout(resolve, 0))
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
    // A request counts as in progress until it is merged, signatures checked: the costly part,
    // which may go on after the answer is sent. A free slot is taken at once, not a tick later.
    const wait = this.slot()
    if (wait !== undefined) await wait
    let release = true
    try {
      let response: Uint8Array | undefined
      const msg = this.merge(bytes, { from }, (m) => {
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
      if (msg.settled !== undefined) {
        release = false
        void msg.settled.finally(() => this.release())
      }
      ctx.log.trace('served push-pull from %s (join=%s, %d claims)', from, msg.join, msg.claims)
      return response!
    } finally {
      if (release) this.release()
    }
  }

  /**
   * Takes one of the maxConcurrentPushPull slots (undefined: taken at once), or a promise of one
   * (up to requestTimeoutMs, in a line of at most SYNC_WAITING_PER_SLOT per slot); refuses with
   * SyncRefusedError('busy') past either bound. Waiting, rather than refusing at once, is what a
   * seed needs when a cluster starts at once: every joiner asks it within the same second, and
   * refused joiners come back with fresh handshakes and requests, at the worst moment.
   */
  private slot(): Promise<void> | undefined {
    const { ctx } = this
    const max = ctx.config.maxConcurrentPushPull
    if (this.inflight < max) {
      this.inflight++
      return undefined
    }
    const busy = () => {
      ctx.stats.drops['sync-busy']++
      return new SyncRefusedError(
        `push-pull refused: ${this.inflight} already in progress (maxConcurrentPushPull)`,
        'busy',
      )
    }
    if (this.waiting.length >= max * SYNC_WAITING_PER_SLOT) return Promise.reject(busy())
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        ctx.clock.clearTimeout(timer)
        resolve()
      }
      const timer = ctx.clock.setTimeout(() => {
        const i = this.waiting.indexOf(wake)
        if (i >= 0) this.waiting.splice(i, 1)
        reject(busy())
      }, ctx.config.requestTimeoutMs)
      this.waiting.push(wake)
    })
  }

  /** Gives a slot back, or hands it to the first request waiting for one (inflight unchanged). */
  private release(): void {
    const next = this.waiting.shift()
    if (next !== undefined) next()
    else this.inflight--
  }
}
