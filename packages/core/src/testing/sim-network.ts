import type { Clock, TimerId } from '../clock.ts'
import type { ConfigInput } from '../config.ts'
import { Membership, type MembershipInit } from '../membership.ts'
import { type Random, seededRandom } from '../random.ts'
import type { Peer, Transport, TransportHandlers } from '../transport.ts'
import { ManualClock } from './manual-clock.ts'

export interface SimOptions {
  /** Seed of every random choice in the network and its nodes. @default 1 */
  seed?: number
  /** One-way latency in ms. @default 1 */
  latencyMs?: number
  /** Extra uniform random latency in [0, jitterMs). @default 0 */
  jitterMs?: number
  /** Probability that any best-effort packet is lost. @default 0 */
  loss?: number
  /** Config for every node added with addNode(). */
  config?: ConfigInput
  /**
   * A connection model (libp2p over TCP: a Noise handshake per new connection). Without it,
   * every packet is free, as on UDP. With it, a packet or request to a node we hold no
   * connection to opens one first: it waits `setupMs` more, both ends count a handshake and
   * spend `cpuMs`, and each node keeps at most `budget` connections, closing its least recently
   * used ones past that (as the libp2p service's reaper does). Transports then answer
   * Transport.connected, so gossip prefers members already connected, and Transport.opening, so
   * a probe's clock starts once its connection is set up (connectGraceMs).
   */
  connections?: ConnectionModel
}

/** See SimOptions.connections. */
export interface ConnectionModel {
  /** Connections a node keeps at most (inbound and outbound together). @default Infinity */
  budget?: number
  /** Extra delay before the first packet on a new connection (TCP + Noise + Yamux set-up), ms. @default 0 */
  setupMs?: number
  /** CPU one end of a handshake spends, ms (counted in SimTraffic.handshakeCpuMs, not simulated). @default 0 */
  cpuMs?: number
}

/** Traffic counters for the whole network. */
export interface SimTraffic {
  packetsSent: number
  packetsDelivered: number
  packetsLost: number
  bytesSent: number
  /** Push-pull requests (each one a request and a response on the reliable path). */
  requests: number
  /** Bytes of push-pull requests and of their responses. */
  requestBytes: number
  /** Report fetches (Transport.fetch), and the bytes of their requests and bodies. */
  fetches: number
  fetchBytes: number
  /** Connections opened (each a handshake between two nodes), with SimOptions.connections. */
  handshakes: number
  /** Connections closed because one end was over its budget. */
  evictions: number
  /** CPU spent in handshakes, both ends, ms: handshakes x 2 x cpuMs. */
  handshakeCpuMs: number
}

/** One connection, held by both ends' maps. */
interface Conn {
  readonly a: string
  readonly b: string
  /** Virtual time its set-up completes: packets on it are delivered no earlier. */
  readonly readyAt: number
}

interface Node {
  id: string
  handlers?: TransportHandlers
  crashed: boolean
  paused: boolean
  /** Timers and packets held while paused, run on resume. */
  held: Array<{ run: () => void; timer: boolean }>
  clock: Clock
  membership?: Membership
  /** Open connections by peer id, least recently used first (with a connection model). */
  conns: Map<string, Conn>
  /** Handshakes this node took part in (either end). */
  handshakes: number
}

/**
 * Many engines on one virtual clock, the memberlist MockNetwork idea grown up: seeded loss and
 * latency (uniform or per link), partitions and heal, crash (silent) and pause (a node stops
 * processing, its timers and inbound packets are held, then it resumes with a backlog).
 */
export class SimNetwork {
  readonly clock: ManualClock
  readonly random: Random
  readonly traffic: SimTraffic = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsLost: 0,
    bytesSent: 0,
    requests: 0,
    requestBytes: 0,
    fetches: 0,
    fetchBytes: 0,
    handshakes: 0,
    evictions: 0,
    handshakeCpuMs: 0,
  }
  private readonly nodes = new Map<string, Node>()
  private readonly linkLoss = new Map<string, number>()
  private readonly linkLatency = new Map<string, number>()
  private groups: Map<string, number> | undefined
  private loss: number
  private latencyMs: number
  private readonly jitterMs: number
  private readonly seed: number
  private readonly config: ConfigInput | undefined
  private readonly conn: Required<ConnectionModel> | undefined

  constructor(options: SimOptions = {}) {
    this.seed = options.seed ?? 1
    this.clock = new ManualClock()
    this.random = seededRandom(this.seed)
    this.loss = options.loss ?? 0
    this.latencyMs = options.latencyMs ?? 1
    this.jitterMs = options.jitterMs ?? 0
    this.config = options.config
    const c = options.connections
    this.conn =
      c === undefined ? undefined : { budget: c.budget ?? Infinity, setupMs: c.setupMs ?? 0, cpuMs: c.cpuMs ?? 0 }
  }

  /** A transport endpoint for `id`, with its own pausable view of the clock. */
  transport(id: string): Transport {
    const node = this.node(id)
    const transport: Transport = {
      listen: (handlers) => {
        node.handlers = handlers
      },
      send: (to, bytes) => this.send(id, to.id, bytes),
      request: (to, bytes, opts) => this.request(id, typeof to === 'string' ? to : to.id, bytes, opts.signal),
      fetch: (to, bytes, opts) => this.request(id, to.id, bytes, opts.signal, true),
    }
    if (this.conn !== undefined) {
      transport.connected = (peer) => node.conns.has(peer)
      transport.opening = (peer) => {
        const wait = (node.conns.get(peer)?.readyAt ?? 0) - this.clock.now()
        return wait > 0 ? new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait)) : undefined
      }
    }
    return transport
  }

  /** Connections `id` holds now (with a connection model; 0 without). */
  connectionCount(id: string): number {
    return this.nodes.get(id)?.conns.size ?? 0
  }

  /** Handshakes `id` took part in so far, either end. */
  handshakesOf(id: string): number {
    return this.nodes.get(id)?.handshakes ?? 0
  }

  /** The clock a node at `id` should use: timers are held while it is paused. */
  clockFor(id: string): Clock {
    return this.node(id).clock
  }

  /** Creates (not starts) an engine at `id` wired to this network, its own seeded Random and clock. */
  addNode(id: string, init: Partial<MembershipInit> = {}): Membership {
    const node = this.node(id)
    const m = new Membership({
      id,
      addrs: [id],
      transport: this.transport(id),
      clock: node.clock,
      random: seededRandom(this.seed * 1_000_003 + this.nodes.size),
      config: this.config,
      ...init,
    })
    node.membership = m
    return m
  }

  membership(id: string): Membership {
    const m = this.nodes.get(id)?.membership
    if (m === undefined) throw new Error(`no node ${id}`)
    return m
  }

  ids(): string[] {
    return [...this.nodes.keys()]
  }

  setLoss(p: number): void {
    this.loss = p
  }

  setLatency(ms: number): void {
    this.latencyMs = ms
  }

  /** Loss on the a→b direction only. */
  setLinkLoss(a: string, b: string, p: number): void {
    this.linkLoss.set(`${a}>${b}`, p)
  }

  setLinkLatency(a: string, b: string, ms: number): void {
    this.linkLatency.set(`${a}>${b}`, ms)
  }

  /** Splits the network: nodes in different groups cannot reach each other; unlisted nodes form one more group. */
  partition(...groups: string[][]): void {
    this.groups = new Map()
    groups.forEach((g, i) => {
      for (const id of g) this.groups!.set(id, i)
    })
  }

  heal(): void {
    this.groups = undefined
  }

  /** A silent crash: the engine stops, nothing reaches it, nothing leaves it. */
  crash(id: string): void {
    const node = this.node(id)
    node.crashed = true
    node.membership?.stop()
    node.held = []
    // its connections die with it (the peers see a reset)
    for (const peer of node.conns.keys()) this.nodes.get(peer)?.conns.delete(id)
    node.conns.clear()
  }

  /** Brings a crashed node back with a new engine (same id); returns it, not started. */
  restart(id: string, init: Partial<MembershipInit> = {}): Membership {
    const node = this.node(id)
    node.crashed = false
    node.paused = false
    node.handlers = undefined
    return this.addNode(id, init)
  }

  /** The node stops processing: timers and inbound packets are held until resume(). */
  pause(id: string): void {
    this.node(id).paused = true
  }

  /**
   * Ends a pause: what was held runs now, in the order it fell due, timers and packets
   * interleaved; with `timersFirst`, every held timer runs before any held packet, as Node's
   * event loop does after a block (its timers phase comes before it polls the sockets).
   */
  resume(id: string, options: { timersFirst?: boolean } = {}): void {
    const node = this.node(id)
    node.paused = false
    const held = node.held
    node.held = []
    if (options.timersFirst === true) {
      for (const h of held) if (h.timer) h.run()
      for (const h of held) if (!h.timer) h.run()
    } else {
      for (const h of held) h.run()
    }
  }

  /**
   * A stall of `ms` from now, as a blocked event loop has one: the node runs nothing meanwhile;
   * then its timers fire, late, before it reads what arrived (resume with timersFirst). A node
   * already paused or crashed is left alone. Returns false then.
   */
  stall(id: string, ms: number): boolean {
    const node = this.node(id)
    if (node.paused || node.crashed) return false
    node.paused = true
    this.clock.setTimeout(() => {
      if (!node.crashed) this.resume(id, { timersFirst: true })
    }, ms)
    return true
  }

  /** Is the node paused (or stalled) now? */
  isPaused(id: string): boolean {
    return this.nodes.get(id)?.paused === true
  }

  private node(id: string): Node {
    let node = this.nodes.get(id)
    if (node === undefined) {
      const created: Node = {
        id,
        crashed: false,
        paused: false,
        held: [],
        clock: this.clock,
        conns: new Map(),
        handshakes: 0,
      }
      created.clock = this.pausableClock(created)
      this.nodes.set(id, created)
      node = created
    }
    return node
  }

  private pausableClock(node: Node): Clock {
    const base = this.clock
    return {
      now: () => base.now(),
      setTimeout: (fn, ms): TimerId =>
        base.setTimeout(() => {
          if (node.crashed) return
          if (node.paused) node.held.push({ run: fn, timer: true })
          else fn()
        }, ms),
      clearTimeout: (id) => base.clearTimeout(id),
    }
  }

  private reachable(from: string, to: string): boolean {
    const a = this.nodes.get(from)
    const b = this.nodes.get(to)
    if (a === undefined || b === undefined || a.crashed || b.crashed) return false
    if (this.groups !== undefined && (this.groups.get(from) ?? -1) !== (this.groups.get(to) ?? -1)) return false
    return true
  }

  private delay(from: string, to: string): number {
    const base = this.linkLatency.get(`${from}>${to}`) ?? this.latencyMs
    return base + (this.jitterMs > 0 ? this.random.next() * this.jitterMs : 0)
  }

  /**
   * With a connection model: the wait before a packet from `from` to `to` (reachable) can leave,
   * opening a connection when there is none (both ends count a handshake; an end over its budget
   * closes its least recently used connections); the connection becomes both ends' most recently
   * used. 0 without a model.
   */
  private connectionWait(from: string, to: string): number {
    const model = this.conn
    if (model === undefined) return 0
    const a = this.nodes.get(from)!
    const b = this.nodes.get(to)!
    const now = this.clock.now()
    let c = a.conns.get(to)
    if (c === undefined) {
      c = { a: from, b: to, readyAt: now + model.setupMs }
      this.traffic.handshakes++
      this.traffic.handshakeCpuMs += 2 * model.cpuMs
      a.handshakes++
      b.handshakes++
    } else {
      a.conns.delete(to)
      b.conns.delete(from)
    }
    a.conns.set(to, c)
    b.conns.set(from, c)
    this.trim(a, model.budget)
    this.trim(b, model.budget)
    return Math.max(0, c.readyAt - now)
  }

  /** Closes `node`'s least recently used connections past `budget` (its newest is never closed). */
  private trim(node: Node, budget: number): void {
    while (node.conns.size > budget) {
      const peer = node.conns.keys().next().value as string
      node.conns.delete(peer)
      this.nodes.get(peer)?.conns.delete(node.id)
      this.traffic.evictions++
    }
  }

  private send(from: string, to: string, bytes: Uint8Array): void {
    this.traffic.packetsSent++
    this.traffic.bytesSent += bytes.byteLength
    const loss = this.linkLoss.get(`${from}>${to}`) ?? this.loss
    if (!this.reachable(from, to)) {
      this.traffic.packetsLost++
      return
    }
    const wait = this.connectionWait(from, to)
    if (loss > 0 && this.random.next() < loss) {
      this.traffic.packetsLost++
      return
    }
    this.clock.setTimeout(
      () => this.deliver(to, () => this.nodes.get(to)?.handlers?.onPacket(from, bytes)),
      wait + this.delay(from, to),
    )
  }

  private deliver(to: string, run: () => void): void {
    const node = this.nodes.get(to)
    if (node === undefined || node.crashed) {
      this.traffic.packetsLost++
      return
    }
    this.traffic.packetsDelivered++
    if (node.paused) node.held.push({ run, timer: false })
    else run()
  }

  /** A push-pull request, or (`fetch`) a report request, served by the target's onFetch. */
  private request(
    from: string,
    to: string,
    bytes: Uint8Array,
    signal: AbortSignal,
    fetch = false,
  ): Promise<Uint8Array> {
    const t = this.traffic
    if (fetch) t.fetches++
    else t.requests++
    if (fetch) t.fetchBytes += bytes.byteLength
    else t.requestBytes += bytes.byteLength
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason ?? new Error('aborted'))
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      const target = this.nodes.get(to)
      if (target === undefined || target.crashed) {
        // like a closed port: refused after one round trip
        this.clock.setTimeout(() => reject(new Error(`connection refused by ${to}`)), 2 * this.delay(from, to))
        return
      }
      if (!this.reachable(from, to)) return // unreachable: only the caller's timeout ends it
      const wait = this.connectionWait(from, to)
      this.clock.setTimeout(
        () =>
          this.deliver(to, () => {
            const handler = this.nodes.get(to)?.handlers
            if (handler === undefined) return reject(new Error(`${to} is not listening`))
            const serve = fetch ? handler.onFetch : handler.onRequest
            if (serve === undefined) return reject(new Error(`${to} serves no reports`))
            serve(from, bytes).then(
              (response) => {
                if (fetch) this.traffic.fetchBytes += response.byteLength
                else this.traffic.requestBytes += response.byteLength
                this.clock.setTimeout(() => resolve(response), this.delay(to, from))
              },
              (err) => this.clock.setTimeout(() => reject(err), this.delay(to, from)),
            )
          }),
        wait + this.delay(from, to),
      )
    })
  }
}

/** Peer value for a sim node id. */
export function simPeer(id: string): Peer {
  return { id, addrs: [id] }
}
