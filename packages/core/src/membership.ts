import { TypedEventEmitter } from 'main-event'
import { Awareness } from './awareness.ts'
import { type Clock, systemClock, type TimerId } from './clock.ts'
import { decodePacket, encodePacket, type Packet, scanPacket, type Update, updateSize } from './codec/index.ts'
import { type ConfigInput, type ResolvedConfig, resolveConfig } from './config.ts'
import type { Context } from './context.ts'
import { retransmitLimit, TransmitLimitedQueue } from './dissemination.ts'
import { DecodeError, InvalidArgumentError, JoinFailedError, MessageTooLargeError, NotStartedError } from './errors.ts'
import type { MemberEventName, MembershipEvents, ProbeResult, UserEventInfo } from './events.ts'
import { freezeMember, type Member } from './member.ts'
import { isLive, MemberList, type MemberRecord, snapshot } from './member-list.ts'
import { type Logger, type MembershipStats, newStats, silentLogger } from './metrics.ts'
import { type ProbeFields, Prober } from './probe.ts'
import { PushPullSync, pushPullScale, SyncMode } from './push-pull.ts'
import { mathRandom, type Random, randomInt } from './random.ts'
import { ClaimTable } from './table.ts'
import { type Peer, type Signer, type Transport, unsigned, type Verifier } from './transport.ts'
import { UserEvents } from './user-events.ts'

/** Everything a Membership needs. Only `id` and `transport` are required. */
export interface MembershipInit {
  /** This node's id (the libp2p peer id string on the libp2p transport). */
  id: string
  /** Where others can reach us. Update later with setAddresses(). */
  addrs?: readonly string[]
  /** Initial metadata, at most maxMetadataBytes. */
  metadata?: Uint8Array
  /** A profile and overrides; see SwimConfig. */
  config?: ConfigInput
  transport: Transport
  clock?: Clock
  random?: Random
  /** Signs our claims; with `verifier`, defaults to `unsigned` (trusted networks, simulations). */
  signer?: Signer
  verifier?: Verifier
  log?: Logger
  /** The per-probe heartbeat payload we put in every ack (at most maxAckPayloadBytes). */
  ackPayload?: () => Uint8Array
}

type Status =
  | { state: 'stopped' }
  | { state: 'started'; leaving: boolean; startedAt: number; timers: Map<string, TimerId> }

const EMPTY = new Uint8Array(0)
/** Corrections sent back in one packet at most. */
const MAX_CORRECTIONS = 4
/** Sender/member pairs remembered per generation for the corrections' rate limit. */
const MAX_CORRECTION_MEMORY = 4096

/**
 * One node's membership engine: SWIM probing with Lifeguard, piggybacked gossip, push-pull
 * anti-entropy, signed claims. It coordinates MemberList, ClaimTable, Prober, PushPullSync and
 * UserEvents; each does one job.
 */
export class Membership extends TypedEventEmitter<MembershipEvents> {
  readonly id: string
  readonly config: ResolvedConfig
  private readonly ctx: Context
  private readonly transport: Transport
  private readonly table: ClaimTable
  private readonly prober: Prober
  private readonly sync: PushPullSync
  private readonly events: UserEvents
  private readonly statsRef: MembershipStats = newStats()
  private status: Status = { state: 'stopped' }
  private syncing = false
  private reconnecting = false
  /**
   * When we last corrected each sender about each member ("sender member" → clock ms), in two
   * generations swapped every probe interval: what the older one drops is past the rate limit.
   */
  private corrected = new Map<string, number>()
  private correctedBefore = new Map<string, number>()
  private correctedSince = 0
  // the loops' callbacks, made once: they are scheduled a few times a second per node
  private readonly onProbeTick = () => this.probeTick()
  /** When the next probe round is due (clock ms), for the probe event's drift figure. */
  private nextProbeAt: number | undefined
  private readonly onGossipTick = () => this.gossipTick()
  /** When the gossip loop last ticked or will next tick (clock ms): its beat. */
  private gossipAnchor = 0
  /** The gossip loop stopped because both queues were empty. */
  private gossipAsleep = false

  constructor(init: MembershipInit) {
    super()
    if (typeof init.id !== 'string' || init.id === '') throw new InvalidArgumentError('id must be a non-empty string')
    this.id = init.id
    this.config = resolveConfig(init.config)
    this.transport = init.transport
    const random = init.random ?? mathRandom
    const list = new MemberList(random)
    const ctx: Context = {
      config: this.config,
      clock: init.clock ?? systemClock,
      random,
      selfId: init.id,
      list,
      queue: new TransmitLimitedQueue<Update>(
        () => this.retransmitLimit(),
        () => this.wakeGossip(),
      ),
      awareness: new Awareness(this.config.awarenessMaxMultiplier),
      stats: this.statsRef,
      log: init.log ?? silentLogger,
      signer: init.signer ?? unsigned,
      verifier: init.verifier ?? unsigned,
      emitMember: (name, r) => this.emitMember(name, r),
      clusterSize: () => list.liveCount + 1,
    }
    this.ctx = ctx
    const metadata = init.metadata ?? EMPTY
    this.checkMetadata(metadata)
    this.table = new ClaimTable(ctx, init.addrs ?? [], metadata)
    const ackPayload = init.ackPayload ?? (() => EMPTY)
    this.prober = new Prober(
      ctx,
      this.table,
      (to, f, first) => this.sendPacket(to, f, first),
      ackPayload,
      (r) => this.onProbe(r),
    )
    this.events = new UserEvents(
      ctx,
      (e) => this.onUserEvent(e),
      () => this.retransmitLimit(),
      () => this.wakeGossip(),
    )
    this.sync = new PushPullSync(ctx, this.table, this.events)
  }

  /** Starts probing, gossip and anti-entropy. Idempotent. */
  async start(): Promise<void> {
    if (this.status.state === 'started') return
    this.status = { state: 'started', leaving: false, startedAt: this.ctx.clock.now(), timers: new Map() }
    this.transport.listen({
      onPacket: (from, bytes) => this.handlePacket(from, bytes),
      onRequest: (from, bytes) => this.handleRequest(from, bytes),
    })
    // our first alive claim, signed before anyone can ask for it
    await new Promise<void>((resolve) => this.table.announceSelf(false, resolve))
    // Each loop first fires after a random stagger within its interval, so that nodes started
    // together do not probe, gossip and push-pull in lockstep (memberlist triggerFunc).
    const stagger = (ms: number) => randomInt(this.ctx.random, ms)
    this.scheduleProbe(stagger(this.ctx.awareness.scale(this.config.probeIntervalMs)))
    const gossipIn = stagger(this.config.gossipIntervalMs)
    this.gossipAnchor = this.ctx.clock.now() + gossipIn
    this.gossipAsleep = false
    this.schedule('gossip', this.onGossipTick, gossipIn)
    if (this.config.pushPullIntervalMs > 0) this.schedule('sync', () => this.syncTick(), stagger(this.syncInterval()))
  }

  /** Stops every timer; the node goes silent (use leave() first to say goodbye). Idempotent. */
  stop(): void {
    if (this.status.state === 'stopped') return
    for (const t of this.status.timers.values()) this.ctx.clock.clearTimeout(t)
    this.status = { state: 'stopped' }
    this.prober.cancelAll()
    this.table.cancelTimers()
  }

  get isStarted(): boolean {
    return this.status.state === 'started'
  }

  /**
   * Joins a cluster through one or more seeds (member peers or bare addresses): a full state
   * exchange with each. Resolves to how many answered; rejects with JoinFailedError when none did.
   */
  async join(seeds: ReadonlyArray<Peer | string>, options: { signal?: AbortSignal } = {}): Promise<number> {
    this.requireStarted()
    if (seeds.length === 0) throw new InvalidArgumentError('join needs at least one seed address')
    const errors: Error[] = []
    let ok = 0
    await Promise.all(
      seeds.map(async (seed) => {
        try {
          await this.pushPull(seed, true, options.signal)
          ok++
        } catch (err) {
          const name = typeof seed === 'string' ? seed : seed.id
          errors.push(new Error(`${name}: ${(err as Error).message}`, { cause: err }))
        }
      }),
    )
    if (ok === 0) {
      throw new JoinFailedError(
        `could not join: none of the ${seeds.length} seed(s) answered (${errors.map((e) => e.message).join('; ')})`,
        errors,
      )
    }
    return ok
  }

  /**
   * Leaves gracefully: announces `left` (signed) and resolves once the word has been sent
   * retransmit-limit times, or after leaveTimeoutMs, or when `signal` aborts. Probing stops;
   * call stop() afterwards.
   */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    const status = this.requireStarted()
    if (status.leaving) return
    status.leaving = true
    this.clearTimer('probe')
    this.prober.cancelAll()
    const { clock } = this.ctx
    await new Promise<void>((resolve) => {
      let done = false
      const finish = () => {
        if (done) return
        done = true
        clock.clearTimeout(deadline)
        clock.clearTimeout(poll)
        options.signal?.removeEventListener('abort', finish)
        resolve()
      }
      const deadline = clock.setTimeout(finish, this.config.leaveTimeoutMs)
      let poll: TimerId
      const check = () => {
        if (this.ctx.list.liveCount === 0 || this.ctx.queue.remaining(this.id) === 0) finish()
        else poll = clock.setTimeout(check, this.config.gossipIntervalMs)
      }
      options.signal?.addEventListener('abort', finish)
      this.table.announceLeave(() => {
        this.gossipTick(true)
        poll = clock.setTimeout(check, this.config.gossipIntervalMs)
      })
    })
  }

  /**
   * A fingerprint of this node's view (every member's id, incarnation and state, ourselves
   * included), as 16 hex digits. Two nodes with the same fingerprint hold the same view; periodic
   * push-pulls compare it first and skip the full exchange when it matches.
   */
  fingerprint(): string {
    const [lo, hi] = this.sync.digest()
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0')
  }

  /** Replaces our metadata and announces it (a new incarnation). */
  setMetadata(metadata: Uint8Array): void {
    this.checkMetadata(metadata)
    this.table.self.metadata = metadata.slice()
    if (this.status.state === 'started') this.table.announceSelf()
  }

  /** Replaces the addresses we announce. */
  setAddresses(addrs: readonly string[]): void {
    this.table.self.addrs = [...addrs]
    if (this.status.state === 'started') this.table.announceSelf()
  }

  /** Spreads a named user event to every member (and delivers it here too). */
  async broadcast(name: string, payload: Uint8Array = EMPTY): Promise<void> {
    this.requireStarted()
    await this.events.broadcast(name, payload)
  }

  /**
   * Seeds the table with claims this node already knows (a snapshot of the cluster, or a
   * simulator's bootstrap) without gossiping them: they are not news. Each claim goes through the
   * same checks as one from the network (validity, precedence, signature) and emits the same
   * events. Works before start(). Claim objects are only read, so many nodes may share them.
   * Returns how many claims changed the table (with a synchronous verifier).
   */
  restore(claims: Iterable<Update>): number {
    const before = this.statsRef.updatesApplied
    for (const u of claims) this.table.receive(u, false)
    return this.statsRef.updatesApplied - before
  }

  /** Every known member, ourselves first; tombstones (dead, left) included until reaped. */
  members(): Member[] {
    const out = [this.self()]
    for (const r of this.ctx.list.values()) out.push(freezeMember(snapshot(r)))
    return out
  }

  /** One member's snapshot, or undefined. */
  member(id: string): Member | undefined {
    if (id === this.id) return this.self()
    const r = this.ctx.list.get(id)
    return r === undefined ? undefined : freezeMember(snapshot(r))
  }

  /** Our own entry. */
  self(): Member {
    const s = this.table.self
    const at = this.status.state === 'started' ? this.status.startedAt : 0
    return freezeMember({
      id: this.id,
      addrs: s.addrs,
      state: s.leaving ? 'left' : 'alive',
      incarnation: s.incarnation,
      metadata: s.metadata,
      stateChangedAt: at,
    })
  }

  /** Members alive or suspect, ourselves included. */
  get size(): number {
    return this.ctx.clusterSize()
  }

  /** Lifeguard local health: 0 is healthy, up to awarenessMaxMultiplier - 1. */
  healthScore(): number {
    return this.ctx.awareness.healthScore
  }

  /** Counters, including drops by reason and the pending queue depths. */
  stats(): MembershipStats & { queueDepth: number; eventQueueDepth: number } {
    return {
      ...this.statsRef,
      drops: { ...this.statsRef.drops },
      queueDepth: this.ctx.queue.size,
      eventQueueDepth: this.events.queue.size,
    }
  }

  /** A full state exchange with one peer (anti-entropy); `join` skips event history. */
  async pushPull(to: Peer | string, join = false, signal?: AbortSignal): Promise<void> {
    const { clock } = this.ctx
    const controller = new AbortController()
    const timer = clock.setTimeout(
      () => controller.abort(new Error(`push-pull timed out after ${this.config.requestTimeoutMs} ms`)),
      this.config.requestTimeoutMs,
    )
    const onAbort = () => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort)
    const exchange = async (request: Uint8Array, expect: readonly number[]) => {
      this.ctx.stats.bytesOut += request.byteLength
      const response = await this.transport.request(to, request, { signal: controller.signal })
      this.ctx.stats.bytesIn += response.byteLength
      try {
        return this.sync.merge(response, join, (m) => {
          if (!expect.includes(m.mode)) throw new DecodeError(`push-pull answer in unexpected mode ${m.mode}`)
        })
      } catch (err) {
        this.countDecodeError(err)
        throw err
      }
    }
    try {
      // A join is a full exchange. A periodic sync first compares fingerprints; when they
      // differ the answer is the other's full state, and we push ours unless merging it made
      // the two agree (the other held everything we did).
      if (join) await exchange(this.sync.encodeState(true), [SyncMode.FULL])
      else {
        const answer = await exchange(this.sync.encodeDigest(SyncMode.DIGEST), [SyncMode.IN_SYNC, SyncMode.FULL])
        if (answer.mode === SyncMode.IN_SYNC) this.ctx.stats.syncsInSync++
        else if (!this.sync.agrees(answer)) {
          await exchange(this.sync.encodeState(false, SyncMode.PUSH), [SyncMode.PUSHED, SyncMode.FULL])
        }
      }
    } finally {
      clock.clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Entry point for a best-effort packet. Never throws: bad input is counted and dropped. */
  handlePacket(from: string, bytes: Uint8Array): void {
    const { stats } = this.ctx
    if (this.status.state !== 'started') {
      stats.drops.stopped++
      return
    }
    stats.packetsIn++
    stats.bytesIn += bytes.byteLength
    try {
      // Most piggybacked claims are ones we hold already: the scan recognises them from their
      // headers; anything irregular goes to the full decoder, which accepts or rejects it as ever.
      const scanned = scanPacket(bytes, this.config)
      const p = scanned ?? decodePacket(bytes, this.config)
      // claims first, so that an ack can already carry our refutation of a piggybacked suspicion
      const corrections = this.table.collectCorrections(() => {
        if (scanned !== undefined) this.table.receiveScanned(scanned.claims)
        else for (const u of (p as Packet).updates) this.table.receive(u)
      })
      if (corrections.length > 0) this.correct(from, corrections)
      for (const e of p.events) this.events.receive(e)
      if (p.ping !== undefined) this.prober.onPing(from, p.ping)
      if (p.ack !== undefined) this.prober.onAck(from, p.ack)
      if (p.nack !== undefined) this.prober.onNack(from, p.nack)
      if (p.pingReq !== undefined) this.prober.onPingReq(from, p.pingReq)
    } catch (err) {
      this.countDecodeError(err)
      this.ctx.log.trace('dropped packet from %s: %s', from, (err as Error).message)
    }
  }

  /**
   * Sends `from` the newer claims that answer the stale accusations it just gossiped to us, at
   * most MAX_CORRECTIONS per packet and once per member and sender per probe interval (the
   * sender repeats a claim a few times; one answer is enough, and a flood earns no amplification).
   */
  private correct(from: string, claims: Update[]): void {
    const peer = this.ctx.list.get(from)
    if (peer === undefined || !isLive(peer.state)) return
    const now = this.ctx.clock.now()
    const quiet = this.config.probeIntervalMs
    if (now - this.correctedSince >= quiet || this.corrected.size >= MAX_CORRECTION_MEMORY) {
      this.correctedBefore = this.corrected
      this.corrected = new Map()
      this.correctedSince = now
    }
    const send: Update[] = []
    for (const u of claims) {
      const key = `${from} ${u.id}`
      const last = this.corrected.get(key) ?? this.correctedBefore.get(key)
      if (last !== undefined && now - last < quiet) continue
      this.corrected.set(key, now)
      send.push(u)
      if (send.length === MAX_CORRECTIONS) break
    }
    if (send.length === 0) return
    this.ctx.stats.corrections += send.length
    this.sendPacket(peer, {}, send)
  }

  /** Entry point for a push-pull request. Rejects (counted) on bad input or overload. */
  async handleRequest(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    if (this.status.state !== 'started') {
      this.ctx.stats.drops.stopped++
      throw new NotStartedError()
    }
    this.ctx.stats.bytesIn += bytes.byteLength
    try {
      const response = await this.sync.serve(from, bytes)
      this.ctx.stats.bytesOut += response.byteLength
      return response
    } catch (err) {
      this.countDecodeError(err)
      throw err
    }
  }

  private countDecodeError(err: unknown): void {
    const drops = this.ctx.stats.drops
    if (err instanceof MessageTooLargeError) drops['too-large']++
    else if (err instanceof DecodeError) drops[err.reason as 'malformed' | 'version' | 'too-many-fields']++
    else if (!(err instanceof Error) || !err.message.startsWith('push-pull')) drops.malformed++
  }

  private sendPacket(to: Peer, fields: ProbeFields, first?: Update[]): void {
    const { config, queue, stats } = this.ctx
    const firstBytes = first === undefined ? 0 : first.reduce((n, u) => n + updateSize(u) + 2, 0)
    const taken = queue.take(config.packetBudgetBytes - firstBytes)
    const updates = first === undefined ? taken : first.concat(taken)
    const events = this.events.queue.take(config.userEventBudgetBytes)
    if (
      fields.ping === undefined &&
      fields.ack === undefined &&
      fields.nack === undefined &&
      fields.pingReq === undefined
    ) {
      if (updates.length === 0 && events.length === 0) return
    }
    const bytes = encodePacket({ ...fields, updates, events })
    stats.packetsOut++
    stats.bytesOut += bytes.byteLength
    try {
      const sent = this.transport.send(to, bytes)
      if (sent instanceof Promise) sent.catch(() => {})
    } catch {
      // best effort: a failed send is a lost packet, which the protocol tolerates
    }
  }

  private probeTick(): void {
    const status = this.status
    if (status.state !== 'started' || status.leaving) return
    // when this round was due: the gap to now is how late the host ran our timer
    const scheduledAt = this.nextProbeAt ?? this.ctx.clock.now()
    this.table.reap()
    const target = this.ctx.list.nextProbeTarget()
    if (target !== undefined) this.prober.probe(target, scheduledAt)
    this.scheduleProbe(this.ctx.awareness.scale(this.config.probeIntervalMs))
  }

  private scheduleProbe(ms: number): void {
    this.nextProbeAt = this.ctx.clock.now() + ms
    this.schedule('probe', this.onProbeTick, ms)
  }

  private gossipTick(once = false): void {
    if (this.status.state !== 'started') return
    const { config, clock, list, queue } = this.ctx
    if (queue.size > 0 || this.events.queue.size > 0) {
      const now = clock.now()
      const targets = list.sample(config.gossipNodes, (r) => this.gossipable(r, now))
      for (const t of targets) this.sendPacket(t, {})
    }
    if (once) return
    if (queue.size > 0 || this.events.queue.size > 0) {
      this.gossipAnchor = clock.now() + config.gossipIntervalMs
      this.schedule('gossip', this.onGossipTick, config.gossipIntervalMs)
    } else this.gossipAsleep = true // nothing to send: wakeGossip() restarts the loop
  }

  /**
   * Something was queued while the gossip loop slept: resume it on its old beat (the next tick
   * falls where the periodic loop would have put it), so gossip timing is what an always-running
   * loop gives, without waking an idle node gossipInterval after gossipInterval for nothing.
   */
  private wakeGossip(): void {
    if (!this.gossipAsleep || this.status.state !== 'started') return
    this.gossipAsleep = false
    const interval = this.config.gossipIntervalMs
    const now = this.ctx.clock.now()
    const next = this.gossipAnchor + (Math.floor((now - this.gossipAnchor) / interval) + 1) * interval
    this.gossipAnchor = next
    this.schedule('gossip', this.onGossipTick, next - now)
  }

  private gossipable(r: MemberRecord, now: number): boolean {
    if (isLive(r.state)) return true
    return r.state === 'dead' && now - r.stateChangedAt < this.config.gossipToTheDeadMs
  }

  private syncTick(): void {
    if (this.status.state !== 'started') return
    const [peer] = this.ctx.list.sample(1, (r) => r.state === 'alive')
    if (peer !== undefined && !this.syncing) {
      this.syncing = true
      this.pushPull(peer)
        .catch((err) => this.ctx.log('periodic push-pull with %s failed: %s', peer.id, (err as Error).message))
        .finally(() => {
          this.syncing = false
        })
    }
    this.reconnect()
    this.schedule('sync', () => this.syncTick(), this.syncInterval())
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
    this.pushPull(dead)
      .catch((err) => this.ctx.log.trace('reconnect to dead %s failed: %s', dead.id, (err as Error).message))
      .finally(() => {
        this.reconnecting = false
      })
  }

  private syncInterval(): number {
    return pushPullScale(this.config.pushPullIntervalMs, this.ctx.clusterSize())
  }

  private retransmitLimit(): number {
    return retransmitLimit(this.config.retransmitMult, this.ctx.clusterSize())
  }

  private schedule(name: string, fn: () => void, ms: number): void {
    if (this.status.state !== 'started') return
    this.status.timers.set(name, this.ctx.clock.setTimeout(fn, ms))
  }

  private clearTimer(name: string): void {
    if (this.status.state !== 'started') return
    const t = this.status.timers.get(name)
    if (t !== undefined) this.ctx.clock.clearTimeout(t)
    this.status.timers.delete(name)
  }

  private requireStarted(): Extract<Status, { state: 'started' }> {
    if (this.status.state !== 'started') throw new NotStartedError()
    return this.status
  }

  private checkMetadata(metadata: Uint8Array): void {
    if (metadata.byteLength > this.config.maxMetadataBytes) {
      throw new InvalidArgumentError(
        `metadata is ${metadata.byteLength} bytes; maxMetadataBytes is ${this.config.maxMetadataBytes}`,
      )
    }
  }

  private emitMember(name: MemberEventName, r: MemberRecord): void {
    if (this.listenerCount(name) > 0) this.safeDispatchEvent(name, { detail: freezeMember(snapshot(r)) })
  }

  private onProbe(result: ProbeResult): void {
    if (this.listenerCount('probe') > 0) this.safeDispatchEvent('probe', { detail: Object.freeze(result) })
  }

  private onUserEvent(e: UserEventInfo): void {
    this.safeDispatchEvent('user-event', { detail: e })
  }
}
