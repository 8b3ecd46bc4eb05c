import type { TimerId } from './clock.ts'
import { type Ack, type Nack, owned, type Packet, type Ping, type PingReq, type Update } from './codec/index.ts'
import type { Context } from './context.ts'
import { type Coordinate, VIVALDI, validCoordinate } from './coordinate.ts'
import { NotStartedError, TimeoutError, TooManyPingsError } from './errors.ts'
import type { ProbeResult } from './events.ts'
import type { FailedProbe } from './member.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import type { ClaimTable } from './table.ts'
import type { Peer, Transport } from './transport.ts'

const EMPTY = new Uint8Array(0)

/** What a probe-related packet carries, before piggybacking. */
export type ProbeFields = Pick<Partial<Packet>, 'ping' | 'ack' | 'nack' | 'pingReq'>

/** Sends a packet with piggybacked gossip; `first` are claims that must ride along (buddy system). */
export type PacketSender = (to: Peer, fields: ProbeFields, first?: Update[]) => void

interface OwnProbe {
  kind: 'probe'
  target: MemberRecord
  startedAt: number
  scheduledAt: number
  /** Set once the indirect phase starts (most rounds end with a direct ack before it). */
  helpers: Set<string> | undefined
  nacks: Set<string> | undefined
  failed: FailedProbe[] | undefined
  indirectTimer: TimerId
  failTimer: TimerId
  /** When the two timers are due (clock ms): how late they run is how long our host stalled. */
  indirectDue: number
  failDue: number
  /** The most any of this round's timers ran late, in ms. */
  lateMs: number
  /** Set while the round waits for a connection to the target to open (a first contact). */
  graceTimer: TimerId
}

interface Relay {
  kind: 'relay'
  requester: string
  requesterSeq: number
  target: string
  timer: TimerId
}

/** A ping asked for by the application (ping()): no probe round, no suspicion, just the RTT. */
interface UserPing {
  kind: 'ping'
  target: string
  startedAt: number
  timer: TimerId
  settle: (rttMs: number | Error) => void
}

/** Application pings (ping()) waiting for their ack at once, at most. */
export const MAX_PENDING_PINGS = 256

/**
 * SWIM's failure detector, one round at a time: ping the target; if no ack within the probe
 * timeout, ask `indirectChecks` others to ping it for us (ping-req) and relay its ack or, with
 * Lifeguard, a nack when they cannot reach it either; if nothing arrives by the end of the
 * probe interval, suspect it. Also serves others' pings and ping-reqs.
 */
export class Prober {
  private seq = 0
  private readonly pending = new Map<number, OwnProbe | Relay | UserPing>()
  private relays = 0
  private pings = 0
  /** Probes sent, for coordinateEvery. */
  private probesSent = 0

  constructor(
    private readonly ctx: Context,
    private readonly table: ClaimTable,
    private readonly send: PacketSender,
    private readonly ackPayload: () => Uint8Array,
    private readonly onResult: (result: ProbeResult) => void,
    private readonly links: Pick<Transport, 'connected' | 'opening'> = {},
  ) {}

  /**
   * Starts one probe round against `target`. When the ping has to wait for a connection to the
   * target (Transport.opening: a dial and a handshake, a first contact), the round's clock starts
   * once that connection is open or has failed, and at the latest `connectGraceMs` after the ping:
   * a slow set-up is our side's cost (a dial queue, a CPU-starved host in a start storm), not
   * the target failing to answer. A target we cannot connect to at all is still found: its dial
   * fails, or the grace runs out, and the round goes on as any other.
   */
  probe(target: MemberRecord, scheduledAt: number): void {
    const { ctx } = this
    const seq = this.nextSeq()
    const round: OwnProbe = {
      kind: 'probe',
      target,
      startedAt: ctx.clock.now(),
      scheduledAt,
      helpers: undefined,
      nacks: undefined,
      failed: undefined,
      indirectTimer: undefined,
      failTimer: undefined,
      indirectDue: 0,
      failDue: 0,
      lateMs: 0,
      graceTimer: undefined,
    }
    this.pending.set(seq, round)
    ctx.stats.probes++
    // buddy system: a suspect learns of its suspicion from the very ping, and can refute at once
    const first = target.state === 'suspect' && target.stateClaim ? [target.stateClaim] : undefined
    const wantCoordinate = this.wantCoordinate(target)
    // the timers first: a transport that answers synchronously must find them to cancel
    this.arm(seq, round)
    this.send(target, { ping: { seq, target: target.id, wantCoordinate } }, first)
    const graced = ctx.config.connectGraceMs > 0 && this.pending.get(seq) === round
    const opening = graced ? this.links.opening?.(target.id) : undefined
    if (opening === undefined) return
    // the ping waits for a connection: the clock starts when it is open, within the grace
    ctx.stats.firstContactProbes++
    this.disarm(round)
    const start = () => {
      if (this.pending.get(seq) !== round || round.graceTimer === undefined) return
      ctx.clock.clearTimeout(round.graceTimer)
      round.graceTimer = undefined
      this.arm(seq, round)
    }
    round.graceTimer = ctx.clock.setTimeout(() => {
      ctx.stats.connectGraceExpired++
      start()
    }, ctx.awareness.scale(ctx.config.connectGraceMs))
    opening.then(start, start)
  }

  /** Sets a round's two timers from now (the ping is on its way). */
  private arm(seq: number, round: OwnProbe): void {
    const { ctx } = this
    const timeout = ctx.awareness.scale(ctx.config.probeTimeoutMs)
    const interval = ctx.awareness.scale(ctx.config.probeIntervalMs)
    const failAfter = Math.max(interval, timeout + 1)
    round.startedAt = ctx.clock.now()
    round.indirectDue = round.startedAt + timeout
    round.failDue = round.startedAt + failAfter
    round.indirectTimer = ctx.clock.setTimeout(() => this.indirect(seq, round), timeout)
    round.failTimer = ctx.clock.setTimeout(() => this.fail(seq, round), failAfter)
  }

  private disarm(round: OwnProbe): void {
    this.ctx.clock.clearTimeout(round.indirectTimer)
    this.ctx.clock.clearTimeout(round.failTimer)
    round.indirectTimer = undefined
    round.failTimer = undefined
  }

  /**
   * One ping to `target` on behalf of the application, with a seq of its own: resolves to the
   * round trip in ms when its direct ack comes back, rejects with TimeoutError after `timeoutMs`
   * (nothing is suspected: it is not a probe round), with the signal's reason when it aborts,
   * with TooManyPingsError past MAX_PENDING_PINGS.
   */
  ping(target: Peer, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const { ctx } = this
    if (this.pings >= MAX_PENDING_PINGS) return Promise.reject(new TooManyPingsError())
    if (signal?.aborted) return Promise.reject(signal.reason)
    return new Promise<number>((resolve, reject) => {
      const seq = this.nextSeq()
      const onAbort = () => p.settle(signal?.reason as Error)
      const p: UserPing = {
        kind: 'ping',
        target: target.id,
        startedAt: ctx.clock.now(),
        timer: ctx.clock.setTimeout(
          () => p.settle(new TimeoutError(`no ack from ${target.id} within ${timeoutMs} ms`)),
          timeoutMs,
        ),
        settle: (result) => {
          if (this.pending.get(seq) !== p) return
          this.pending.delete(seq)
          this.pings--
          ctx.clock.clearTimeout(p.timer)
          signal?.removeEventListener('abort', onAbort)
          if (typeof result === 'number') resolve(result)
          else reject(result)
        },
      }
      this.pending.set(seq, p)
      this.pings++
      signal?.addEventListener('abort', onAbort, { once: true })
      this.send(target, { ping: { seq, target: target.id, wantCoordinate: false } })
    })
  }

  onPing(from: string, ping: Ping): void {
    if (ping.target !== this.ctx.selfId) {
      this.ctx.stats.drops.misdirected++
      return
    }
    const ack: Ack = { seq: ping.seq, payload: this.ourAckPayload() }
    if (ping.wantCoordinate)
      ack.coordinate = { ...this.ctx.vivaldi.coordinate, vec: [...this.ctx.vivaldi.coordinate.vec] }
    this.send(this.peer(from), { ack })
  }

  /**
   * The application's heartbeat payload for an ack. One over maxAckPayloadBytes is not sent
   * (an empty payload goes instead; receivers would drop the whole ack), and is logged and counted.
   */
  private ourAckPayload(): Uint8Array<ArrayBuffer> {
    const payload = this.ackPayload()
    if (payload.byteLength <= this.ctx.config.maxAckPayloadBytes) return owned(payload)
    this.ctx.stats.oversizedAckPayloads++
    this.ctx.log.error(
      'ack payload of %d bytes exceeds maxAckPayloadBytes (%d): sent empty',
      payload.byteLength,
      this.ctx.config.maxAckPayloadBytes,
    )
    return EMPTY
  }

  onPingReq(from: string, req: PingReq): void {
    const { ctx } = this
    if (req.target === ctx.selfId) {
      this.send(this.peer(from), { ack: { seq: req.seq, payload: this.ourAckPayload() } })
      return
    }
    // Relay only between members: a stranger cannot make us dial addresses of its choosing,
    // and we ping the target at the addresses it announced, never at the requester's word.
    const requester = ctx.list.get(from)
    const known = ctx.list.get(req.target)
    if (requester === undefined || !isLive(requester.state) || known === undefined || !isLive(known.state)) {
      ctx.stats.drops['relay-refused']++
      return
    }
    if (this.relays >= ctx.config.maxPendingRelays) {
      ctx.stats.drops['relay-limit']++
      return
    }
    ctx.stats.relaysServed++
    const seq = this.nextSeq()
    this.relays++
    // Lifeguard: answer with a nack a little before the requester gives up, so it learns that
    // we are alive and it is the target that is unreachable, not its own network.
    const nackAfter = Math.floor(ctx.config.probeTimeoutMs * 0.8)
    const relay: Relay = {
      kind: 'relay',
      requester: from,
      requesterSeq: req.seq,
      target: req.target,
      timer: ctx.clock.setTimeout(() => {
        this.endRelay(seq)
        if (ctx.config.lifeguard) this.send(this.peer(from), { nack: { seq: req.seq } })
      }, nackAfter),
    }
    this.pending.set(seq, relay)
    this.send(known, { ping: { seq, target: req.target, wantCoordinate: false } })
  }

  onAck(from: string, ack: Ack): void {
    const { ctx } = this
    if (ack.payload.byteLength > ctx.config.maxAckPayloadBytes) {
      ctx.stats.drops['too-large']++
      return
    }
    const p = this.pending.get(ack.seq)
    if (p === undefined) {
      ctx.stats.drops['unexpected-ack']++
      return
    }
    if (p.kind === 'ping') {
      if (from !== p.target) return void ctx.stats.drops['unexpected-ack']++
      p.settle(ctx.clock.now() - p.startedAt)
      return
    }
    if (p.kind === 'relay') {
      if (from !== p.target) return void ctx.stats.drops['unexpected-ack']++
      this.endRelay(ack.seq)
      this.send(this.peer(p.requester), { ack: { seq: p.requesterSeq, payload: ack.payload } })
      return
    }
    const direct = from === p.target.id
    if (!direct && p.helpers?.has(from) !== true) return void ctx.stats.drops['unexpected-ack']++
    this.end(ack.seq, p)
    const now = ctx.clock.now()
    if (direct) {
      ctx.stats.acks++
      p.target.rttMs = now - p.startedAt
      if (ack.coordinate !== undefined) this.observe(p.target, ack.coordinate, now - p.startedAt)
    } else {
      ctx.stats.indirectAcks++
    }
    if (ctx.config.lifeguard) ctx.awareness.apply(-1)
    this.onResult({
      target: p.target.id,
      outcome: direct ? 'ack' : 'indirect-ack',
      ...(direct ? { rttMs: now - p.startedAt } : {}),
      payload: ack.payload,
      healthScore: ctx.awareness.healthScore,
      startedAt: p.startedAt,
      scheduledAt: p.scheduledAt,
    })
  }

  /**
   * Should this probe ask for the target's coordinate? Always while ours is unsettled or the
   * target has none yet (a new node converges, and learns everyone's, in one probe pass); then
   * on every coordinateEvery-th probe, which keeps both fresh at a fraction of the bytes.
   */
  private wantCoordinate(target: MemberRecord): boolean {
    const every = this.ctx.config.coordinateEvery
    if (every === 0) return false
    const unsettled = this.ctx.vivaldi.coordinate.error > VIVALDI.settledError || target.coordinate === undefined
    return ++this.probesSent % every === 0 || unsettled
  }

  /** A direct ack's coordinate: refines ours with the RTT, and is kept as the member's. */
  private observe(target: MemberRecord, coordinate: Coordinate, rttMs: number): void {
    if (!validCoordinate(coordinate)) {
      this.ctx.stats.drops['invalid-coordinate']++
      return
    }
    // kept frozen: member snapshots hand it out as is
    target.coordinate = Object.freeze({ ...coordinate, vec: Object.freeze([...coordinate.vec]) })
    this.ctx.vivaldi.update(target.id, coordinate, rttMs)
  }

  onNack(from: string, nack: Nack): void {
    const p = this.pending.get(nack.seq)
    if (p === undefined || p.kind !== 'probe' || p.helpers?.has(from) !== true) {
      this.ctx.stats.drops['unexpected-ack']++
      return
    }
    this.ctx.stats.nacks++
    p.nacks?.add(from)
  }

  /** Drops every pending probe and relay (on stop). */
  cancelAll(): void {
    for (const [seq, p] of this.pending) {
      if (p.kind === 'probe') this.end(seq, p)
      else if (p.kind === 'ping') p.settle(new NotStartedError('the engine stopped before the ack came'))
      else this.endRelay(seq)
    }
  }

  private indirect(seq: number, round: OwnProbe): void {
    const { ctx } = this
    round.lateMs = Math.max(round.lateMs, ctx.clock.now() - round.indirectDue)
    // Sent even when we ran late (the round is then inconclusive anyway): a helper's ack is
    // still proof of life.
    round.failed = [{ at: round.startedAt, via: 'direct', outcome: 'timeout' }]
    round.helpers = new Set()
    round.nacks = new Set()
    const target = round.target
    const helpers = this.helpersFor(target)
    for (const h of helpers) {
      round.helpers.add(h.id)
      ctx.stats.pingReqsSent++
      this.send(h, { pingReq: { seq, target: target.id, targetAddrs: [...target.addrs] } })
    }
  }

  /**
   * `indirectChecks` random alive members to ask for a ping-req, those we hold a connection to
   * first (Transport.connected): a ping-req that has to dial its helper first, and then waits
   * for the helper's answer, often outlasts the round, and the target is suspected for our
   * missing connection. Without the hint, a uniform sample.
   */
  private helpersFor(target: MemberRecord): MemberRecord[] {
    const { ctx } = this
    const k = ctx.config.indirectChecks
    const links = this.links
    const candidate = (r: MemberRecord) => r.state === 'alive' && r.id !== target.id
    if (links.connected === undefined) return ctx.list.sample(k, candidate)
    const near = ctx.list.sample(k, (r) => candidate(r) && links.connected?.(r.id) === true)
    if (near.length === k) return near
    const chosen = new Set(near.map((r) => r.id))
    return near.concat(ctx.list.sample(k - near.length, (r) => candidate(r) && !chosen.has(r.id)))
  }

  private fail(seq: number, round: OwnProbe): void {
    const { ctx } = this
    this.end(seq, round)
    const now = ctx.clock.now()
    round.lateMs = Math.max(round.lateMs, now - round.failDue)
    if (ctx.config.stallAwareness && round.lateMs > ctx.config.probeTimeoutMs) {
      this.inconclusive(round)
      return
    }
    const failed = round.failed ?? []
    const helpers = round.helpers ?? new Set<string>()
    const nacks = round.nacks ?? new Set<string>()
    for (const h of helpers) failed.push({ at: now, via: h, outcome: nacks.has(h) ? 'nack' : 'timeout' })
    if (ctx.config.lifeguard) {
      // Lifeguard: missing nacks mean our own messages may not be getting through
      const missing = helpers.size === 0 ? 1 : helpers.size - nacks.size
      if (missing > 0) ctx.awareness.apply(missing)
    }
    this.table.suspectFromProbe(round.target.id, failed)
    this.onResult({
      target: round.target.id,
      outcome: 'failed',
      healthScore: ctx.awareness.healthScore,
      startedAt: round.startedAt,
      scheduledAt: round.scheduledAt,
      lateMs: round.lateMs,
    })
  }

  /**
   * A round whose timers ran more than a probe timeout late: our host stalled (a blocked event
   * loop, a suspended VM), and the ack may well be waiting, unread, in a socket. A missing ack
   * proves nothing about the target then; it says that we are unhealthy. So: no suspicion, and
   * our own health score rises (Lifeguard's answer to a slow node), slowing our next accusations.
   */
  private inconclusive(round: OwnProbe): void {
    const { ctx } = this
    ctx.stats.inconclusiveProbes++
    if (ctx.config.lifeguard) ctx.awareness.apply(1)
    ctx.log('probe of %s inconclusive: our timers ran %d ms late', round.target.id, round.lateMs)
    this.onResult({
      target: round.target.id,
      outcome: 'inconclusive',
      healthScore: ctx.awareness.healthScore,
      startedAt: round.startedAt,
      scheduledAt: round.scheduledAt,
      lateMs: round.lateMs,
    })
  }

  private end(seq: number, round: OwnProbe): void {
    this.pending.delete(seq)
    this.disarm(round)
    this.ctx.clock.clearTimeout(round.graceTimer)
    round.graceTimer = undefined
  }

  private endRelay(seq: number): void {
    const p = this.pending.get(seq)
    if (p === undefined || p.kind !== 'relay') return
    this.pending.delete(seq)
    this.ctx.clock.clearTimeout(p.timer)
    this.relays--
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) >>> 0
    return this.seq
  }

  private peer(id: string): Peer {
    return { id, addrs: this.ctx.list.get(id)?.addrs ?? [] }
  }
}
