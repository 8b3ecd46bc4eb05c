import {
  type Logger,
  type PeerDiscovery,
  type PeerDiscoveryEvents,
  type PeerId,
  peerDiscoverySymbol,
  type Startable,
  serviceCapabilities,
  TypedEventEmitter,
} from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  DEFAULTS,
  fitAddresses,
  InvalidArgumentError,
  MEMBER_EVENT_NAMES,
  type Member,
  Membership,
  type MembershipEvents,
  mathRandom,
  type QueryHandler,
  type QueryOptions,
  type QueryResult,
  type ResolvedConfig,
  resolveConfig,
  systemClock,
  type Transport,
} from '@murmur/core'
import { sha256 } from '@noble/hashes/sha2.js'
import { PROTOCOL_PREFIX, STOP_DRAIN_MS } from './constants.ts'
import type {
  Faults,
  MembershipComponents,
  MembershipInit,
  MembershipService,
  MembershipServiceStats,
} from './index.ts'
import { registerMetrics } from './metrics.ts'
import { ReportProtocol } from './report-protocol.ts'
import { keySigner, PeerIdVerifier } from './signing.ts'
import { StreamTransport } from './stream-transport.ts'

/** Every engine event, re-dispatched on the service. */
const FORWARDED = [...MEMBER_EVENT_NAMES, 'user-event', 'probe'] as const satisfies ReadonlyArray<
  keyof MembershipEvents
>

/** Seconds from 2024-01-01 UTC: incarnations derived from the clock start there (room until 2160). */
const INCARNATION_EPOCH_S = 1_704_067_200

/**
 * A first incarnation that only grows across restarts: seconds since INCARNATION_EPOCH_S. A node
 * refutes by adding one, and refuting more than once a second for the whole life of a run is not
 * a thing members do; so a restarted node starts above every claim its key signed before, and
 * its old claims (and replayed accusations against them) are stale at once.
 */
export function incarnationFromClock(nowMs = Date.now()): number {
  return Math.max(0, Math.floor(nowMs / 1000) - INCARNATION_EPOCH_S)
}

/** The protocol prefix of a cluster: '/murmur' for the default one, '/murmur/<name>' otherwise. */
export function protocolPrefixFor(cluster: string): string {
  return cluster === DEFAULT_CLUSTER_NAME ? PROTOCOL_PREFIX : `${PROTOCOL_PREFIX}/${cluster}`
}

const DEFAULT_CLUSTER_NAME = DEFAULTS.cluster

/** MembershipInit.maxConnections, checked: a positive integer, or undefined (no budget). */
function connectionBudget(max: number | undefined): number | undefined {
  if (max === undefined) return undefined
  if (!Number.isInteger(max) || max < 1) {
    throw new InvalidArgumentError(`maxConnections must be a positive integer, got ${max}`)
  }
  return max
}

/**
 * Probe rings for a connection budget, unless the config sets probeRings itself: a fifth of the
 * budget, 1 to 8. A node then probes at most that many members and is probed by about as many,
 * which leaves more than half of the budget to ping-req helpers, push-pulls and the app.
 */
export function probeRingsFor(maxConnections: number | undefined): number {
  if (maxConnections === undefined) return 0
  return Math.min(8, Math.max(1, Math.floor(maxConnections / 5)))
}

/**
 * The peer-store tag on the members this node probes under probe rings (value 50 of libp2p's
 * 0-100): libp2p's connection manager, pruning past its own maxConnections, closes the
 * connections of the lowest-valued peers first, so the app's other connections go before these.
 */
export const PROBE_RING_TAG = 'murmur-probe-ring'
const PROBE_RING_TAG_VALUE = 50

/** Sampling of the event-loop delay histogram (ms): fine enough for a probe timeout of 200 ms. */
const LOOP_DELAY_RESOLUTION_MS = 20

/**
 * The libp2p service: owns a core Membership (system clock, Math.random, the node's key as
 * signer, peer-id keys as verifier) and a StreamTransport, re-dispatches the engine's events,
 * keeps the node's announced addresses current, and feeds libp2p peer discovery.
 */
export class MembershipServiceImpl extends TypedEventEmitter<MembershipEvents> implements MembershipService, Startable {
  readonly [Symbol.toStringTag] = '@murmur/libp2p'
  readonly [serviceCapabilities]: string[] = ['@murmur/membership', '@libp2p/peer-discovery']
  readonly config: ResolvedConfig
  private readonly core: Membership
  private readonly transport: StreamTransport
  private readonly discovery = new TypedEventEmitter<PeerDiscoveryEvents>()
  /** Addresses last announced to peer discovery, by member id: each change is one peer-store write. */
  private readonly discovered = new Map<string, string>()
  private readonly log: Logger
  private started = false
  /** The engine's probe-ring targets, as last tagged in the peer store (PROBE_RING_TAG). */
  private ringTargets = new Set<string>()
  private ringTimer: ReturnType<typeof setInterval> | undefined
  /** The address list last handed to the engine, joined; undefined forces the next refresh. */
  private announced: string | undefined
  private readonly onAddressChange = (): void => this.refreshAddresses()
  private readonly components: MembershipComponents
  /** Reports (metadata too large to gossip) on their own protocol. */
  private readonly reportProtocol: ReportProtocol
  /** This thread's event-loop delay, sampled while started (Node only). */
  private loopHistogram: { enable(): boolean; disable(): boolean; reset(): void; readonly max: number } | undefined

  constructor(components: MembershipComponents, init: MembershipInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('murmur:service')
    const maxConnections = connectionBudget(init.maxConnections)
    this.config = resolveConfig({
      ...init.config,
      probeRings: init.config?.probeRings ?? probeRingsFor(maxConnections),
      profile: init.profile,
    })
    if (components.privateKey.type !== 'Ed25519') {
      // others verify our claims against the key inside our peer id, which only Ed25519 ids carry
      throw new InvalidArgumentError(
        `Murmur needs an Ed25519 libp2p identity (this node's key is ${components.privateKey.type}): ` +
          "others check every claim against the key inside the sender's peer id, which only Ed25519 peer ids carry. " +
          "Create the node with an Ed25519 key, e.g. privateKey: await generateKeyPair('Ed25519')",
      )
    }
    const self = components.peerId.toString()
    const allow = init.allow === undefined ? undefined : new Set([...init.allow, self])
    this.transport = new StreamTransport(components, {
      protocolPrefix: init.protocolPrefix ?? protocolPrefixFor(this.config.cluster),
      maxPacketBytes: this.config.maxPacketBytes,
      maxSyncBytes: this.config.maxSyncBytes,
      timeoutMs: this.config.requestTimeoutMs,
      allow,
      maxConnections,
      activeMs: this.config.probeIntervalMs,
      slowDialMs: this.config.probeTimeoutMs,
      // an unhealthy node keeps its connections: each one it closed would cost a handshake soon
      holdConnections: () => this.core.healthScore() > 0,
      // the members we probe under probe rings: closing one costs a handshake at its next probe
      keep: (id) => this.ringTargets.has(id),
    })
    const prefix = init.protocolPrefix ?? protocolPrefixFor(this.config.cluster)
    this.reportProtocol = new ReportProtocol(components, prefix, {
      timeoutMs: this.config.requestTimeoutMs,
      maxReportBytes: this.config.maxReportBytes,
      allowed: (id) => allow === undefined || allow.has(id),
    })
    this.core = new Membership({
      id: self,
      config: this.config,
      metadata: init.metadata,
      transport: this.engineTransport(),
      // report digests: SHA-256 (the engine's default is not cryptographic)
      hash: (bytes) => sha256(bytes) as Uint8Array<ArrayBuffer>,
      clock: systemClock,
      random: mathRandom,
      signer: keySigner(components.privateKey),
      verifier: new PeerIdVerifier(),
      log: components.logger.forComponent('murmur:membership'),
      ackPayload: init.ackPayload,
      // with an allow-list, nobody else can be a member, accuse or confirm, even relayed by one
      admit: allow === undefined ? undefined : (id) => allow.has(id),
      initialIncarnation: init.initialIncarnation ?? incarnationFromClock(),
      loopDelay: () => this.readLoopDelay(),
      tagsOf: init.tagsOf,
    })
    for (const name of FORWARDED) this.forward(name)
    for (const name of ['member:join', 'member:update'] as const) {
      this.core.addEventListener(name, (e) => this.announcePeer(e.detail))
    }
    for (const name of ['member:leave', 'member:reap'] as const) {
      this.core.addEventListener(name, (e) => {
        this.transport.forget(e.detail.id)
        this.discovered.delete(e.detail.id)
      })
    }
    registerMetrics(components.metrics, this)
  }

  /** libp2p attaches its discovery listener here: live members reach the peer store. */
  get [peerDiscoverySymbol](): PeerDiscovery {
    return this.discovery
  }

  /** Registers the protocols and starts the engine. Idempotent. */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    try {
      await this.watchLoopDelay()
      await this.transport.start()
      await this.reportProtocol.start()
      await this.core.start()
    } catch (err) {
      this.started = false
      this.core.stop()
      await this.reportProtocol.stop()
      await this.transport.stop()
      throw err
    }
    const { events } = this.components
    events.addEventListener('transport:listening', this.onAddressChange)
    events.addEventListener('transport:close', this.onAddressChange)
    events.addEventListener('self:peer:update', this.onAddressChange)
    this.refreshAddresses()
    if (this.config.probeRings > 0) {
      this.ringTimer = setInterval(() => this.refreshRingTargets(), this.config.probeIntervalMs)
      this.ringTimer.unref?.()
    }
  }

  /**
   * Follows the engine's probe-ring targets once per probe interval: a new one is tagged
   * (PROBE_RING_TAG) and kept by our own reaper, one no longer probed is untagged.
   */
  private refreshRingTargets(): void {
    const next = new Set(this.core.probeRingTargets())
    for (const id of next) if (!this.ringTargets.has(id)) this.tagRingTarget(id, true)
    for (const id of this.ringTargets) if (!next.has(id)) this.tagRingTarget(id, false)
    this.ringTargets = next
  }

  private tagRingTarget(id: string, on: boolean): void {
    const { peerStore } = this.components
    if (peerStore === undefined) return
    let peerId: PeerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return // not a peer id: nothing libp2p could hold a connection to
    }
    const tag = on ? { value: PROBE_RING_TAG_VALUE } : undefined
    peerStore.merge(peerId, { tags: { [PROBE_RING_TAG]: tag } }).catch((err: Error) => {
      this.log('could not %s %s: %s', on ? 'tag' : 'untag', id, err.message)
    })
  }

  /**
   * The engine's transport: packets and push-pull on StreamTransport, with its connection hints
   * (connected: gossip prefers members with a connection; opening: a probe's clock waits for its
   * connection), report fetches on their own protocol.
   */
  private engineTransport(): Transport {
    const transport = this.transport
    const reports = this.reportProtocol
    return {
      send: (to, bytes) => transport.send(to, bytes),
      connected: (id) => transport.connected(id),
      opening: (id) => transport.opening(id),
      request: (to, bytes, options) => transport.request(to, bytes, options),
      fetch: (to, bytes, options) => reports.fetch(to, bytes, options),
      listen: (handlers) => {
        transport.listen(handlers)
        if (handlers.onFetch !== undefined) reports.listen(handlers.onFetch)
      },
    }
  }

  /**
   * Replaces this node's report (metadata too large to gossip, up to maxReportBytes; undefined
   * removes it): its SHA-256 digest and size go out in a new signed alive claim, and members fetch
   * the body from us on demand, check it, and see it on our Member as `report`.
   */
  setReport(report: Uint8Array | undefined): void {
    this.core.setReport(report)
  }

  /**
   * Measures this thread's event-loop delay (perf_hooks, where the runtime has it: Node; a
   * browser has none, and the engine then relies on how late its own timers run), for the
   * engine's stall awareness.
   */
  private async watchLoopDelay(): Promise<void> {
    if (this.loopHistogram !== undefined) return
    try {
      const { monitorEventLoopDelay } = await import('node:perf_hooks')
      this.loopHistogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
      this.loopHistogram.enable()
    } catch {
      this.loopHistogram = undefined
    }
  }

  /** The largest event-loop delay (ms) since the last read. */
  private readLoopDelay(): number {
    const h = this.loopHistogram
    if (h === undefined) return 0
    const max = h.max / 1e6
    h.reset()
    return Number.isFinite(max) ? max : 0
  }

  /** The transports listen by now (or soon: 'transport:listening' covers the rest). */
  afterStart(): void {
    this.refreshAddresses()
  }

  /**
   * Runs before libp2p closes any connection: lets packets already queued (the leave, when
   * leave() came just before stop()) reach their streams, for at most STOP_DRAIN_MS.
   */
  async beforeStop(): Promise<void> {
    if (this.started) await this.transport.drain(STOP_DRAIN_MS)
  }

  /** Stops the engine without leaving (use leave() first) and closes the streams. Idempotent. */
  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    const { events } = this.components
    events.removeEventListener('transport:listening', this.onAddressChange)
    events.removeEventListener('transport:close', this.onAddressChange)
    events.removeEventListener('self:peer:update', this.onAddressChange)
    this.core.stop()
    clearInterval(this.ringTimer)
    this.ringTimer = undefined
    for (const id of this.ringTargets) this.tagRingTarget(id, false)
    this.ringTargets = new Set()
    await this.reportProtocol.stop()
    await this.transport.stop()
    this.loopHistogram?.disable()
    this.loopHistogram = undefined
    this.announced = undefined
  }

  members(): Member[] {
    return this.core.members()
  }

  self(): Member {
    return this.core.self()
  }

  member(id: string): Member | undefined {
    return this.core.member(id)
  }

  join(addrs: Array<string | Multiaddr>, options: { signal?: AbortSignal } = {}): Promise<number> {
    return this.core.join(
      addrs.map((a) => a.toString()),
      options,
    )
  }

  leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.core.leave(options)
  }

  setMetadata(bytes: Uint8Array): void {
    this.core.setMetadata(bytes)
  }

  broadcast(name: string, payload?: Uint8Array): Promise<void> {
    return this.core.broadcast(name, payload)
  }

  query(name: string, payload?: Uint8Array, options?: QueryOptions): QueryResult {
    return this.core.query(name, payload, options)
  }

  handleQuery(name: string, handler: QueryHandler | undefined): void {
    this.core.handleQuery(name, handler)
  }

  forceLeave(id: string, options?: { prune?: boolean }): Promise<void> {
    return this.core.forceLeave(id, options)
  }

  ping(id: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<number> {
    return this.core.ping(id, options)
  }

  healthScore(): number {
    return this.core.healthScore()
  }

  /** A fingerprint of this node's view: equal on two nodes exactly when they hold the same view. */
  fingerprint(): string {
    return this.core.fingerprint()
  }

  stats(): MembershipServiceStats {
    const stats = this.core.stats()
    const transport = this.transport.stats()
    // frames refused before the engine saw them are drops too, under the engine's reasons
    stats.drops['too-large'] += transport.frameErrors['too-large']
    stats.drops.malformed += transport.frameErrors.truncated + transport.frameErrors.malformed
    return { ...stats, transport }
  }

  setFaults(faults: Faults): void {
    this.transport.setFaults(faults)
  }

  private forward<K extends (typeof FORWARDED)[number]>(name: K): void {
    this.core.addEventListener(name, (e) => {
      this.safeDispatchEvent(name, { detail: e.detail })
    })
  }

  /** Announces the node's current multiaddrs through the engine (a new signed alive claim) when they changed. */
  private refreshAddresses(): void {
    if (!this.started || !this.core.isStarted) return
    // what a claim may carry (others drop a claim with more): the first addresses that fit
    const addrs = fitAddresses(
      this.components.addressManager.getAddresses().map((ma) => ma.toString()),
      this.config,
    )
    const key = addrs.join(' ')
    if (key === this.announced) return
    this.announced = key
    this.log('announcing addresses %s', key)
    this.core.setAddresses(addrs)
  }

  /** A live member becomes a libp2p discovery result, {id, multiaddrs}, when its addresses are new. */
  private announcePeer(m: Member): void {
    if (m.state !== 'alive' || this.discovery.listenerCount('peer') === 0) return
    const key = m.addrs.join(' ')
    if (this.discovered.get(m.id) === key) return
    this.discovered.set(m.id, key)
    try {
      const id = peerIdFromString(m.id)
      const multiaddrs: Multiaddr[] = []
      for (const a of m.addrs) {
        try {
          multiaddrs.push(multiaddr(a))
        } catch {
          // an address this node cannot parse is of no use to the peer store
        }
      }
      this.discovery.safeDispatchEvent('peer', { detail: { id, multiaddrs } })
    } catch (err) {
      this.log.error('cannot announce member %s to peer discovery - %e', m.id, err)
    }
  }
}
