import type { TimerId } from './clock.ts'
import { encodePacket, type Query, type QueryResponse, type Update, type UserEvent, updateSize } from './codec/index.ts'
import type { Context } from './context.ts'
import type { TransmitLimitedQueue } from './dissemination.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import type { ProbeFields } from './probe.ts'
import { randomInt } from './random.ts'
import type { Peer, Transport } from './transport.ts'

/**
 * Packet assembly: probe fields plus as many queued membership updates and user events as fit
 * their byte budgets (piggybacking). `first` are claims that must ride along whatever the queue
 * holds (a suspicion sent to its suspect, corrections).
 */
export class Outbox {
  constructor(
    private readonly ctx: Context,
    private readonly transport: Transport,
    private readonly events: TransmitLimitedQueue<UserEvent>,
    private readonly queries?: TransmitLimitedQueue<Query>,
  ) {}

  /** The transport's connection hint (Transport.connected), or undefined when it gives none. */
  connected(id: string): boolean | undefined {
    return this.transport.connected?.(id)
  }

  /** `responses`: query acks and answers, which go to whoever they are sent to (the query's origin or a relay). */
  send(to: Peer, fields: ProbeFields, first?: Update[], responses: QueryResponse[] = NO_RESPONSES): void {
    const { config, queue, stats } = this.ctx
    // Queued gossip rides only to members (live, or recently dead): a stranger that pings us gets
    // its ack, but cannot drain the retransmit budget of our updates by pinging.
    const member = this.ctx.list.get(to.id)
    const piggyback = member !== undefined && gossipable(member, this.ctx.clock.now(), config.gossipToTheDeadMs)
    const firstBytes = first === undefined ? 0 : first.reduce((n, u) => n + updateSize(u) + 2, 0)
    const taken = piggyback ? queue.take(config.packetBudgetBytes - firstBytes) : NONE
    const updates = first === undefined ? taken : first.concat(taken)
    // events and queries: never twice to the same member, nor back to their origin, and done once
    // every live member has them (a 3-member cluster's query, sent twice in all, reached one
    // member twice and the other never)
    const events = piggyback ? this.events.take(config.userEventBudgetBytes, 2, to.id) : NO_EVENTS
    const queries =
      piggyback && this.queries !== undefined ? this.queries.take(config.queryBudgetBytes, 2, to.id) : NO_QUERIES
    const probing =
      fields.ping !== undefined || fields.ack !== undefined || fields.nack !== undefined || fields.pingReq !== undefined
    const gossip = updates.length > 0 || events.length > 0 || queries.length > 0
    if (!probing && !gossip && responses.length === 0) return
    const bytes = encodePacket({ ...fields, updates, events, queries, responses })
    stats.packetsOut++
    stats.bytesOut += bytes.byteLength
    try {
      const sent = this.transport.send(to, bytes)
      if (sent instanceof Promise) sent.catch(() => {})
    } catch {
      // best effort: a failed send is a lost packet, which the protocol tolerates
    }
  }
}

/**
 * The dedicated gossip rounds: every gossipInterval, `gossipNodes` random members (and the
 * recently dead, so they can learn of it and refute) get a packet of queued updates and events.
 * The loop sleeps while both queues are empty and resumes on its old beat when something is
 * queued (wake()), so an idle node does not tick for nothing.
 */
export class GossipLoop {
  private timer: TimerId
  private running = false
  /** When the loop last ticked or will next tick (clock ms): its beat. */
  private anchor = 0
  /** The loop stopped because both queues were empty. */
  private asleep = false
  private readonly onTick = () => this.tick()
  /** When a gossip round last dialled a member (clock ms): see mayDial(). */
  private lastDial = Number.NEGATIVE_INFINITY

  constructor(
    private readonly ctx: Context,
    private readonly events: TransmitLimitedQueue<UserEvent>,
    private readonly outbox: Outbox,
    private readonly queries?: TransmitLimitedQueue<Query>,
  ) {}

  /** Starts the loop after a random stagger within one interval (memberlist triggerFunc). */
  start(): void {
    if (this.running) return
    this.running = true
    const first = randomInt(this.ctx.random, this.ctx.config.gossipIntervalMs)
    this.anchor = this.ctx.clock.now() + first
    this.asleep = false
    this.timer = this.ctx.clock.setTimeout(this.onTick, first)
  }

  stop(): void {
    this.running = false
    this.ctx.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  /** One round now, outside the beat (a leave goes out at once). */
  once(): void {
    if (this.running) this.round()
  }

  /**
   * Something was queued while the loop slept: resume it on its old beat (the next tick falls
   * where the periodic loop would have put it), so gossip timing is what an always-running loop
   * gives.
   */
  wake(): void {
    if (!this.asleep || !this.running) return
    this.asleep = false
    const interval = this.ctx.config.gossipIntervalMs
    const now = this.ctx.clock.now()
    const next = this.anchor + (Math.floor((now - this.anchor) / interval) + 1) * interval
    this.anchor = next
    this.timer = this.ctx.clock.setTimeout(this.onTick, next - now)
  }

  private tick(): void {
    if (!this.running) return
    this.round()
    if (this.pending()) {
      this.anchor = this.ctx.clock.now() + this.ctx.config.gossipIntervalMs
      this.timer = this.ctx.clock.setTimeout(this.onTick, this.ctx.config.gossipIntervalMs)
    } else this.asleep = true // nothing to send: wake() restarts the loop
  }

  private round(): void {
    if (!this.pending()) return
    const now = this.ctx.clock.now()
    const dead = this.ctx.config.gossipToTheDeadMs
    const targets = this.ctx.list.sample(this.ctx.config.gossipNodes, (r) => gossipable(r, now, dead))
    for (const t of this.preferConnected(targets)) this.outbox.send(t, {})
  }

  /**
   * Over a connection-oriented transport (libp2p: a Noise handshake per new connection), every
   * live target we hold no connection to is swapped for a random live member we do hold one to,
   * while there are such members. The recently dead keep their place (they must hear of it to
   * refute, connected or not), and probes keep their own order (every member in turn, or probe
   * rings, which reach every member too): updates still reach every member on the probes'
   * piggyback, so dissemination keeps its O(log n) bound, and the
   * gossip rounds stop costing handshakes once a node's connection budget is smaller than the
   * cluster. Without the hint (UDP, the plain simulator) the uniform sample is kept.
   *
   * The live targets left unconnected (too few connected members to swap in) are dialled at most
   * GOSSIP_DIALS_PER_PROBE_INTERVAL per probe interval; the others are skipped this round
   * (counted in gossipDialsSkipped). A node that has just joined holds one connection (to its
   * seed): without the limit, a gossip round every gossipIntervalMs dialled two members at once,
   * and a cluster started together dialled all its pairs within a second or two, n²/2 handshakes
   * at once, which starved every node of CPU and failed probes across the cluster. Probes still
   * dial whom they pick, so the connections a full mesh needs come at a probe's pace, and the
   * join's second sync (PushPullSync.afterJoin) fills the table meanwhile.
   */
  private preferConnected(targets: MemberRecord[]): MemberRecord[] {
    const isFar = targets.map((t) => isLive(t.state) && this.outbox.connected(t.id) === false)
    const far = isFar.filter(Boolean).length
    if (far === 0) return targets
    const chosen = new Set(targets.map((t) => t.id))
    const near = this.ctx.list.sample(
      far,
      (r) => isLive(r.state) && !chosen.has(r.id) && this.outbox.connected(r.id) === true,
    )
    let k = 0
    const out: MemberRecord[] = []
    targets.forEach((t, i) => {
      if (!isFar[i]) out.push(t)
      else if (k < near.length) out.push(near[k++]!)
      else if (this.mayDial()) out.push(t)
      else this.ctx.stats.gossipDialsSkipped++
    })
    return out
  }

  /** A token for one new connection: GOSSIP_DIALS_PER_PROBE_INTERVAL per probe interval, no saving up. */
  private mayDial(): boolean {
    const now = this.ctx.clock.now()
    const every = this.ctx.config.probeIntervalMs / GOSSIP_DIALS_PER_PROBE_INTERVAL
    if (now - this.lastDial < every) return false
    this.lastDial = now
    return true
  }

  private pending(): boolean {
    return this.ctx.queue.size > 0 || this.events.size > 0 || (this.queries?.size ?? 0) > 0
  }
}

/** New connections a gossip round may open per probe interval (see GossipLoop.preferConnected). */
export const GOSSIP_DIALS_PER_PROBE_INTERVAL = 1

/** Gossip goes to live members, and to the dead for a while (so they learn of it and refute). */
function gossipable(r: MemberRecord, now: number, toTheDeadMs: number): boolean {
  if (isLive(r.state)) return true
  return r.state === 'dead' && now - r.stateChangedAt < toTheDeadMs
}

const NONE: Update[] = []
const NO_EVENTS: UserEvent[] = []
const NO_QUERIES: Query[] = []
const NO_RESPONSES: QueryResponse[] = []
