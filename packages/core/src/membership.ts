import { TypedEventEmitter } from 'main-event'
import { Admission } from './admission.ts'
import { Awareness } from './awareness.ts'
import { CLAIM_LIMITS, fitAddresses } from './claim-limits.ts'
import { systemClock, type TimerId } from './clock.ts'
import { decodePacket, type Packet, scanPacket, type Update } from './codec/index.ts'
import { type ResolvedConfig, resolveConfig } from './config.ts'
import { MAX_INCARNATION } from './constants.ts'
import { type Context, LOCAL } from './context.ts'
import { type Coordinate, estimateRttMs, VivaldiClient } from './coordinate.ts'
import { Corrections } from './corrections.ts'
import { retransmitLimit, TransmitLimitedQueue } from './dissemination.ts'
import { InvalidArgumentError, JoinFailedError, NotStartedError, UnknownMemberError } from './errors.ts'
import type { MemberEventName, MembershipEvents, ProbeResult, UserEventInfo } from './events.ts'
import { FORCE_LEAVE_EVENT, ForceLeave } from './force-leave.ts'
import { GossipLoop, Outbox } from './gossip.ts'
import { freezeMember, type Member } from './member.ts'
import { MemberList, type MemberRecord, snapshot } from './member-list.ts'
import type { MembershipInit } from './membership-init.ts'
import { countDecodeError, type Logger, type MembershipStats, newStats, silentLogger } from './metrics.ts'
import { Prober } from './probe.ts'
import { ProbeLoop } from './probe-loop.ts'
import { PushPullSync } from './push-pull.ts'
import { Queries } from './queries.ts'
import type { QueryHandler, QueryOptions, QueryResult } from './query-stream.ts'
import { mathRandom } from './random.ts'
import { fnvDigest, Reports } from './reports.ts'
import { SelfClaims } from './self-claims.ts'
import { ClaimTable } from './table.ts'
import { type Peer, type Transport, unsigned } from './transport.ts'
import { UserEvents } from './user-events.ts'
import { Verification } from './verification.ts'

export type { MembershipInit } from './membership-init.ts'

type Status = { state: 'stopped' } | { state: 'started'; leaving: boolean; startedAt: number }

const EMPTY = new Uint8Array(0)

/**
 * One node's membership engine: SWIM probing with Lifeguard, piggybacked gossip, push-pull
 * anti-entropy, signed claims. It coordinates MemberList, ClaimTable (claims and their
 * precedence), Prober (probe rounds), Outbox and GossipLoop (piggybacking and gossip rounds),
 * Corrections, PushPullSync (anti-entropy and reconnect) and UserEvents; each does one job, in
 * its own file. What is left here is wiring, the public API and the probe loop's beat.
 */
export class Membership extends TypedEventEmitter<MembershipEvents> {
  readonly id: string
  readonly config: ResolvedConfig
  private readonly ctx: Context
  private readonly transport: Transport
  private readonly table: ClaimTable
  private readonly own: SelfClaims
  private readonly admission: Admission
  private readonly prober: Prober
  private readonly sync: PushPullSync
  private readonly events: UserEvents
  private readonly outbox: Outbox
  private readonly gossip: GossipLoop
  private readonly corrections: Corrections
  private readonly queries: Queries
  private readonly forceLeaves: ForceLeave
  private readonly reports: Reports
  private readonly statsRef: MembershipStats = newStats()
  private status: Status = { state: 'stopped' }
  private readonly probeLoop: ProbeLoop

  constructor(init: MembershipInit) {
    super()
    if (typeof init.id !== 'string' || init.id === '') throw new InvalidArgumentError('id must be a non-empty string')
    this.id = init.id
    this.config = resolveConfig(init.config)
    this.transport = init.transport
    const random = init.random ?? mathRandom
    const rings = { count: this.config.probeRings, salt: this.config.cluster, selfId: init.id }
    const list = new MemberList(random, rings)
    const clock = init.clock ?? systemClock
    const log = init.log ?? silentLogger
    const verifier = init.verifier ?? unsigned
    const ctx: Context = {
      config: this.config,
      clock,
      random,
      selfId: init.id,
      list,
      queue: new TransmitLimitedQueue<Update>(
        () => this.retransmitLimit(),
        () => this.gossip.wake(),
      ),
      awareness: new Awareness(this.config.awarenessMaxMultiplier),
      stats: this.statsRef,
      log,
      signer: init.signer ?? unsigned,
      verifier,
      verification: new Verification({ config: this.config, clock, stats: this.statsRef, log, verifier }),
      vivaldi: new VivaldiClient(random),
      emitMember: (name, r) => this.emitMember(name, r),
      admitted: init.admit ?? (() => true),
      forgotten: (id, incarnation) => this.forceLeaves.suppresses(id, incarnation),
      aliveApplied: (r) => this.reports.claimed(r),
      clusterSize: () => list.liveCount + 1,
    }
    this.ctx = ctx
    const metadata = init.metadata ?? EMPTY
    this.checkMetadata(metadata)
    const incarnation = init.initialIncarnation ?? 0
    if (!Number.isInteger(incarnation) || incarnation < 0 || incarnation >= MAX_INCARNATION) {
      throw new InvalidArgumentError(
        `initialIncarnation must be an integer in [0, ${MAX_INCARNATION}), got ${incarnation}`,
      )
    }
    this.own = new SelfClaims(ctx, init.addrs ?? [], metadata, incarnation)
    this.admission = new Admission(ctx)
    this.forceLeaves = new ForceLeave(ctx, this.admission)
    this.reports = new Reports(ctx, this.transport, init.hash ?? fnvDigest, (r) => this.emitMember('member:update', r))
    this.table = new ClaimTable(ctx, this.own, this.admission)
    this.events = new UserEvents(
      ctx,
      (e) => this.onUserEvent(e),
      () => this.retransmitLimit(),
      () => this.gossip.wake(),
    )
    this.queries = new Queries(ctx, {
      incarnation: () => this.own.state.incarnation,
      tags: tagsReader(init.tagsOf, () => this.own.state.metadata, log),
      send: (to, responses) => this.outbox.send(to, {}, undefined, responses),
      wake: () => this.gossip.wake(),
    })
    this.outbox = new Outbox(ctx, this.transport, this.events.queue, this.queries.queue)
    this.gossip = new GossipLoop(ctx, this.events.queue, this.outbox, this.queries.queue)
    this.corrections = new Corrections(ctx, (to, claims) => this.outbox.send(to, {}, claims))
    const ackPayload = init.ackPayload ?? (() => EMPTY)
    this.prober = new Prober(
      ctx,
      this.table,
      (to, f, first) => this.outbox.send(to, f, first),
      ackPayload,
      (r) => this.onProbe(r),
      this.transport,
    )
    this.sync = new PushPullSync(ctx, this.table, this.events, this.transport)
    this.probeLoop = new ProbeLoop(ctx, this.prober, this.admission, init.loopDelay)
  }

  /** Starts probing, gossip and anti-entropy. Idempotent. */
  async start(): Promise<void> {
    if (this.status.state === 'started') return
    this.status = { state: 'started', leaving: false, startedAt: this.ctx.clock.now() }
    this.transport.listen({
      onPacket: (from, bytes) => this.handlePacket(from, bytes),
      onRequest: (from, bytes) => this.handleRequest(from, bytes),
      onFetch: (from, bytes) => this.handleFetch(from, bytes),
    })
    // our first alive claim, signed before anyone can ask for it
    await new Promise<void>((resolve) => this.own.announce(false, resolve))
    // Each loop first fires after a random stagger within its interval, so that nodes started
    // together do not probe, gossip and push-pull in lockstep (memberlist triggerFunc).
    this.probeLoop.start()
    this.gossip.start()
    this.sync.start()
    this.reports.start()
  }

  /** Stops every timer; the node goes silent (use leave() first to say goodbye). Idempotent. */
  stop(): void {
    if (this.status.state === 'stopped') return
    this.probeLoop.stop()
    this.gossip.stop()
    this.sync.stop()
    this.reports.stop()
    this.status = { state: 'stopped' }
    this.prober.cancelAll()
    this.table.cancelTimers()
    this.queries.stop()
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
          await this.sync.request(seed, { join: true, signal: options.signal })
          ok++
        } catch (err) {
          const name = typeof seed === 'string' ? seed : seed.id
          errors.push(new Error(`${name}: ${(err as Error).message}`, { cause: err }))
        }
      }),
    )
    if (ok > 0) this.sync.afterJoin()
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
    this.probeLoop.stop()
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
      this.own.announceLeave(() => {
        this.gossip.once()
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
    this.own.state.metadata = metadata.slice()
    if (this.status.state === 'started') this.own.announce()
  }

  /**
   * Replaces our report (metadata too large to gossip, at most maxReportBytes; undefined or empty
   * removes it) and announces its digest and size in a new signed alive claim. Members fetch the
   * body from us (or from each other) on demand, check it against that digest, and emit
   * member:update when it arrives.
   */
  setReport(report: Uint8Array | undefined): void {
    if (report !== undefined && report.byteLength > this.config.maxReportBytes) {
      throw new InvalidArgumentError(
        `report is ${report.byteLength} bytes; maxReportBytes is ${this.config.maxReportBytes}`,
      )
    }
    if (report === undefined || report.byteLength === 0) {
      this.own.state.report = undefined
      this.reports.clearOwn()
    } else {
      const body = report.slice()
      const digest = this.reports.hash(body)
      if (digest.byteLength !== CLAIM_LIMITS.reportDigestBytes) {
        throw new InvalidArgumentError(`the hasher gave ${digest.byteLength} bytes; a report digest is 32`)
      }
      this.own.state.report = { digest, size: body.byteLength }
      this.reports.setOwn(digest, body)
    }
    if (this.status.state === 'started') this.own.announce()
  }

  /** Reports held (ours included), their bytes, and those still being fetched. */
  reportStats(): { count: number; bytes: number; wanted: number } {
    return this.reports.held
  }

  /**
   * Replaces the addresses we announce. Throws InvalidArgumentError when they are more than a
   * claim may carry (maxAddrsPerMember, 256 characters each, maxAddrBytes in all): others would
   * drop our claims. `fitAddresses()` picks the ones that fit.
   */
  setAddresses(addrs: readonly string[]): void {
    const fit = fitAddresses(addrs, this.config)
    if (fit.length !== addrs.length) {
      throw new InvalidArgumentError(
        `${addrs.length} address(es) of ${addrs.reduce((n, a) => n + a.length, 0)} characters are more than a claim may carry ` +
          `(maxAddrsPerMember ${this.config.maxAddrsPerMember}, ${CLAIM_LIMITS.maxAddrChars} characters each, maxAddrBytes ${this.config.maxAddrBytes} in all); fitAddresses() picks those that fit`,
      )
    }
    this.own.state.addrs = [...addrs]
    if (this.status.state === 'started') this.own.announce()
  }

  /** Spreads a named user event to every member (and delivers it here too). */
  async broadcast(name: string, payload: Uint8Array = EMPTY): Promise<void> {
    this.requireStarted()
    if (name === FORCE_LEAVE_EVENT) throw new InvalidArgumentError(`the event name ${name} is reserved (forceLeave())`)
    await this.events.broadcast(name, payload)
  }

  /**
   * Forgets a member this node holds dead or left, now (Serf's force-leave, under Murmur's trust
   * rules): its tombstone is reaped at once (member:reap), so nothing dials it or lists it any
   * more, and old claims of it cannot bring it back (see ForceLeave). With `prune` (the default)
   * the word spreads as a signed event: each member that holds it dead or left forgets it too;
   * none forgets a member it holds alive or suspect. Throws UnknownMemberError (not in the
   * table), MemberNotDeadError (alive or suspect here) or InvalidArgumentError (ourselves).
   */
  async forceLeave(id: string, options: { prune?: boolean } = {}): Promise<void> {
    this.requireStarted()
    if (id === this.id) throw new InvalidArgumentError('a node cannot force-leave itself: use leave()')
    this.forceLeaves.local(id)
    if (options.prune !== false) await this.events.broadcast(FORCE_LEAVE_EVENT, new TextEncoder().encode(id))
  }

  /**
   * Pings one member (a direct ping with a seq of its own, outside the probe rounds: nothing is
   * suspected when it goes unanswered) and resolves to the round trip in ms. Rejects with
   * UnknownMemberError, TimeoutError after `timeoutMs` (default probeTimeoutMs), the signal's
   * reason when it aborts, or TooManyPingsError past MAX_PENDING_PINGS at once.
   */
  ping(id: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<number> {
    this.requireStarted()
    const r = this.ctx.list.get(id)
    if (r === undefined) return Promise.reject(new UnknownMemberError(`no member ${id} in this node's table`))
    const timeoutMs = options.timeoutMs ?? this.config.probeTimeoutMs
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new InvalidArgumentError(`timeoutMs must be a positive number of ms, got ${timeoutMs}`))
    }
    return this.prober.ping(r, timeoutMs, options.signal)
  }

  /**
   * Asks the members a question (Serf's query) and returns their answers as they arrive: an
   * async iterable of `{ from, ack: false, payload }` (and, with `requestAck`, `{ from, ack: true }`
   * when a member got the query), each member's once, until the deadline (`timeoutMs`), cancel()
   * or `signal`. The query spreads by gossip, signed; members it is for (`filter`: ids, and tags
   * as `key=regexp`, which needs `tagsOf`) answer through handleQuery(), each answer signed and
   * sent straight back. This node answers its own query too when it matches.
   * Throws InvalidArgumentError (name, payload, filters, timeout or relay factor out of bounds)
   * or TooManyQueriesError (maxQueriesInFlight).
   */
  query(name: string, payload: Uint8Array = EMPTY, options: QueryOptions = {}): QueryResult {
    this.requireStarted()
    return this.queries.ask(name, payload, options)
  }

  /**
   * Answers queries named `name` (`'*'`: every query with no handler of its own) with what
   * `handler` returns: bytes (at most maxQueryResponseBytes) or undefined for no answer. It runs
   * once per query meant for this node, at most maxQueryHandlers at once; its signal aborts at
   * the query's deadline. Pass undefined to remove it.
   */
  handleQuery(name: string, handler: QueryHandler | undefined): void {
    this.queries.handle(name, handler)
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
    for (const u of claims) this.table.receive(u, LOCAL, false)
    return this.statsRef.updatesApplied - before
  }

  /** Every known member, ourselves first; tombstones (dead, left) included until reaped. */
  members(): Member[] {
    const out = [this.self()]
    for (const r of this.ctx.list.values()) out.push(this.snapshotOf(r))
    return out
  }

  /** One member's snapshot, or undefined. */
  member(id: string): Member | undefined {
    if (id === this.id) return this.self()
    const r = this.ctx.list.get(id)
    return r === undefined ? undefined : this.snapshotOf(r)
  }

  /** A record as a frozen Member, with its report when we hold the one its claim names. */
  private snapshotOf(r: MemberRecord): Member {
    const report = this.reports.body(r.id, r.aliveClaim.reportDigest)
    return freezeMember(report === undefined ? snapshot(r) : { ...snapshot(r), report })
  }

  /** Our own entry. */
  self(): Member {
    const s = this.own.state
    const at = this.status.state === 'started' ? this.status.startedAt : 0
    return freezeMember({
      id: this.id,
      addrs: s.addrs,
      state: s.leaving ? 'left' : 'alive',
      incarnation: s.incarnation,
      metadata: s.metadata,
      stateChangedAt: at,
      ...(this.config.coordinateEvery > 0 ? { coordinate: this.ctx.vivaldi.coordinate } : {}),
      ...(s.report === undefined ? {} : { report: this.reports.body(this.id, s.report.digest) }),
    })
  }

  /** Members alive or suspect, ourselves included. */
  get size(): number {
    return this.ctx.clusterSize()
  }

  /** This node's network coordinate (Vivaldi), refined by every direct probe that asked for one. */
  coordinate(): Coordinate {
    return this.ctx.vivaldi.coordinate
  }

  /**
   * The estimated round trip time in ms between two members (`b` defaults to this node), from
   * their network coordinates; undefined while either has none (a member's comes with a direct
   * ack to one of our probes, so every live member has one after a probe pass).
   */
  estimateRtt(a: string, b: string = this.id): number | undefined {
    const ca = this.coordinateOf(a)
    const cb = this.coordinateOf(b)
    return ca === undefined || cb === undefined ? undefined : estimateRttMs(ca, cb)
  }

  /** Up to `k` alive members nearest to this node by estimated RTT, nearest first. */
  nearest(k: number, filter: (m: Member) => boolean = () => true): Array<{ member: Member; rttMs: number }> {
    const out: Array<{ member: Member; rttMs: number }> = []
    for (const r of this.ctx.list.values()) {
      if (r.state !== 'alive' || r.coordinate === undefined) continue
      const member = freezeMember(snapshot(r))
      if (filter(member)) out.push({ member, rttMs: estimateRttMs(this.ctx.vivaldi.coordinate, r.coordinate) })
    }
    return out.sort((x, y) => x.rttMs - y.rttMs).slice(0, Math.max(0, k))
  }

  private coordinateOf(id: string): Coordinate | undefined {
    return id === this.id ? this.ctx.vivaldi.coordinate : this.ctx.list.get(id)?.coordinate
  }

  /**
   * With probe rings (config probeRings): the members this node probes, its live successor on
   * each ring, without repeats. Empty without rings (every member is probed in turn). A transport
   * keeps its connections to these (the libp2p service tags them for libp2p's connection manager).
   */
  probeRingTargets(): string[] {
    return this.ctx.list.probeRingTargets()
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
  pushPull(to: Peer | string, join = false, signal?: AbortSignal): Promise<void> {
    return this.sync.request(to, { join, signal }).then(() => undefined)
  }

  /**
   * Entry point for a best-effort packet. Never throws: bad input is counted and dropped.
   * Returns false when the bytes did not decode (the transport may then reset their stream).
   */
  handlePacket(from: string, bytes: Uint8Array): boolean {
    const { stats } = this.ctx
    if (this.status.state !== 'started') {
      stats.drops.stopped++
      return true
    }
    stats.packetsIn++
    stats.bytesIn += bytes.byteLength
    try {
      // Most piggybacked claims are ones we hold already: the scan recognises them from their
      // headers; anything irregular goes to the full decoder, which accepts or rejects it as ever.
      const scanned = scanPacket(bytes, this.config)
      const p = scanned ?? decodePacket(bytes, this.config)
      // claims first, so that an ack can already carry our refutation of a piggybacked suspicion
      const via = { from }
      const corrections = this.table.collectCorrections(() => {
        if (scanned !== undefined) this.table.receiveScanned(scanned.claims, via)
        else for (const u of (p as Packet).updates) this.table.receive(u, via)
      })
      this.corrections.answer(from, corrections)
      for (const e of p.events) this.events.receive(e, via)
      for (const q of p.queries) this.queries.receive(q, via)
      for (const r of p.responses) this.queries.receiveResponse(r, via)
      if (p.ping !== undefined) this.prober.onPing(from, p.ping)
      if (p.ack !== undefined) this.prober.onAck(from, p.ack)
      if (p.nack !== undefined) this.prober.onNack(from, p.nack)
      if (p.pingReq !== undefined) this.prober.onPingReq(from, p.pingReq)
      return true
    } catch (err) {
      countDecodeError(stats, err)
      this.ctx.log.trace('dropped packet from %s: %s', from, (err as Error).message)
      return false
    }
  }

  /** Entry point for a report request (Transport.fetch): the body, or no bytes. Rejects strangers and floods (counted). */
  async handleFetch(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    if (this.status.state !== 'started') {
      this.ctx.stats.drops.stopped++
      throw new NotStartedError()
    }
    return this.reports.serve(from, bytes)
  }

  /** Entry point for a push-pull request. Rejects (counted) on bad input or overload. */
  async handleRequest(from: string, bytes: Uint8Array): Promise<Uint8Array> {
    if (this.status.state !== 'started') {
      this.ctx.stats.drops.stopped++
      throw new NotStartedError()
    }
    return this.sync.serve(from, bytes)
  }

  private retransmitLimit(): number {
    return retransmitLimit(this.config.retransmitMult, this.ctx.clusterSize())
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
    if (name === 'member:reap') this.reports.forget(r.id)
    if (this.listenerCount(name) > 0) this.safeDispatchEvent(name, { detail: this.snapshotOf(r) })
  }

  private onProbe(result: ProbeResult): void {
    if (this.listenerCount('probe') > 0) this.safeDispatchEvent('probe', { detail: Object.freeze(result) })
  }

  private onUserEvent(e: UserEventInfo): void {
    if (e.name === FORCE_LEAVE_EVENT) this.forceLeaves.receive(e)
    else this.safeDispatchEvent('user-event', { detail: e })
  }
}

/** Reads our own tags through `tagsOf`; a reader that throws gives no tags (logged). */
function tagsReader(
  tagsOf: MembershipInit['tagsOf'],
  metadata: () => Uint8Array,
  log: Logger,
): (() => Readonly<Record<string, string>>) | undefined {
  if (tagsOf === undefined) return undefined
  return () => {
    try {
      return tagsOf(metadata())
    } catch (err) {
      log.error('tagsOf threw: %s', (err as Error)?.message ?? err)
      return {}
    }
  }
}
