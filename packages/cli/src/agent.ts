import { readFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { InvalidConfigError, type Profile, type SwimConfig } from '@murmur/core'
import {
  type CreateMurmurNodeOptions,
  createMurmurNode,
  isQuicAddr,
  type MembershipService,
  type MurmurNode,
} from '@murmur/libp2p'
import type { QueryRequest, QueryStreamLike } from './api/query.ts'
import { type AgentControl, createApiServer } from './api/server.ts'
import {
  API_CLOSE_GRACE_MS,
  JOIN_ATTEMPT_TIMEOUT_MS,
  JOIN_RETRY_MAX_DELAY_MS,
  LEAVE_ANSWER_DELAY_MS,
  LEAVE_SLACK_MS,
  SNAPSHOT_DEBOUNCE_MS,
} from './constants.ts'
import { CliError, EXIT } from './errors.ts'
import { EventHandlerRunner, runQueryHandler } from './handler.ts'
import { loadOrCreateKey, readPsk, readTokenFile, type Warn } from './keys.ts'
import { type AgentEvent, MEMBER_EVENTS, memberJson } from './model.ts'
import { eventLine, type IO } from './output.ts'
import { checkReachability, resolveMemberId } from './reachability.ts'
import { resolveSeeds, type SeedResolver } from './seeds.ts'
import { readSnapshot, SnapshotWriter, snapshotAddrs } from './snapshot.ts'
import { DEGRADED_TAG, decodeInfo, encodeInfo } from './tags.ts'

export interface AgentOptions {
  name?: string
  listen: string[]
  join: string[]
  retryMax: number
  retryIntervalMs: number
  tags: Array<[string, string]>
  profile: Profile
  /** `--cluster`: the cluster's name (SwimConfig.cluster). */
  cluster: string
  keyFile?: string
  pskFile?: string
  allow: string[]
  api: { host: string; port: number }
  /** `--api-token-file`: the control API then needs `Authorization: Bearer <token>`. */
  apiTokenFile?: string
  eventHandler?: string
  snapshot?: string
  /** `--report-file`: a report (metadata too large to gossip) members fetch on demand. */
  reportFile?: string
  json: boolean
  testFaults: boolean
  /** SwimConfig overrides from `--config <file.json>`. */
  configFile?: string
  /** `--max-connections`: the connection budget (MembershipInit.maxConnections). */
  maxConnections?: number
  /** `--worker`: libp2p and the engine on a worker thread (createMurmurNode({ worker: true })). */
  worker?: boolean
  /** `--progress-timeout`: the progress bound of worker mode, in ms. */
  progressTimeoutMs?: number
  /** `--progress-action`: degrade (tag degraded=progress) or leave. @default 'degrade' */
  progressAction?: 'degrade' | 'leave'
  /** How `--join` names (/dns4, /dnsaddr) are resolved before each attempt. @default systemResolver */
  resolver?: SeedResolver
  /** `--ui`: serve the web view at GET /ui on the control API's port. */
  ui?: boolean
  /** `--relay` / `--no-relay`: serve browsers as a circuit relay. @default on with a /ws listen address */
  relay?: boolean
}

type Node = MurmurNode

/** A one-shot stall (`blockLoopMs` without `blockEveryMs`) starts this long after the fault call was answered. */
const BLOCK_ONCE_DELAY_MS = 50

/** Runs one node until SIGINT/SIGTERM or an API leave; resolves to the exit code. */
export async function runAgent(opts: AgentOptions, io: IO): Promise<number> {
  const warn: Warn = (m) => io.err(`murmur: ${m}`)
  const key = opts.keyFile ? (await loadOrCreateKey(opts.keyFile, warn)).key : await generateKeyPair('Ed25519')
  const psk = opts.pskFile ? await readPsk(opts.pskFile, warn) : undefined
  const apiToken = opts.apiTokenFile ? await readTokenFile(opts.apiTokenFile, warn) : undefined
  const snapshot = opts.snapshot ? await readSnapshot(opts.snapshot, warn) : undefined
  const report = opts.reportFile ? await readReportFile(opts.reportFile) : undefined
  const info = { name: opts.name, tags: Object.fromEntries(opts.tags) }
  const config = opts.configFile ? await readConfigFile(opts.configFile) : {}
  const node = await startNode(opts, key, psk, encodeInfo(info), config)
  const service = node.services.membership
  if (report !== undefined) {
    try {
      service.setReport(report)
    } catch (err) {
      await node.stop()
      throw new CliError(`--report-file ${opts.reportFile}: ${(err as Error).message}`, 'ERR_REPORT', EXIT.usage)
    }
  }
  const agent = new Agent(opts, io, node, service, info)
  try {
    await agent.serveApi(apiToken)
  } catch (err) {
    await node.stop()
    throw err
  }
  agent.ready()
  const seeds = [...opts.join, ...(snapshot ? snapshotAddrs(snapshot, node.peerId.toString()) : [])]
  if (seeds.length === 0) return agent.done
  // a second signal resolves `done` (EXIT.interrupted) while the join may still be retrying
  const joining = agent.joinOrExit(seeds, opts.join.length > 0)
  return Promise.race([agent.done, joining.then(() => agent.done)])
}

/** Reads `--report-file`; a missing or unreadable file is a usage error that says which. */
async function readReportFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (err) {
    throw new CliError(`cannot read --report-file ${path}: ${(err as Error).message}`, 'ERR_REPORT', EXIT.usage)
  }
}

async function startNode(
  opts: AgentOptions,
  privateKey: PrivateKey,
  psk: Uint8Array | undefined,
  metadata: Uint8Array,
  config: Partial<SwimConfig>,
): Promise<Node> {
  const options: CreateMurmurNodeOptions = {
    listen: opts.listen,
    // the agent joins once started: a QUIC seed must load QUIC now (a QUIC listen address does anyway)
    quic: opts.join.some(isQuicAddr) ? true : undefined,
    relay: opts.relay,
    privateKey,
    psk,
    allow: opts.allow.length > 0 ? opts.allow : undefined,
    membership: {
      profile: opts.profile,
      metadata,
      config: { cluster: opts.cluster, ...config },
      tagsOf: (m) => decodeInfo(m).tags,
      maxConnections: opts.maxConnections,
    },
  }
  try {
    if (opts.worker !== true) return await createMurmurNode(options)
    const progressTimeoutMs = opts.progressTimeoutMs
    return await createMurmurNode({
      ...options,
      worker: true,
      ...(progressTimeoutMs === undefined
        ? {}
        : { progress: { timeoutMs: progressTimeoutMs, action: opts.progressAction, degradedMetadata: markDegraded } }),
    })
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e instanceof InvalidConfigError) {
      throw new CliError(`${opts.configFile ?? 'config'}: ${e.message}`, e.code, EXIT.usage)
    }
    if (e.code === 'EADDRINUSE' || /EADDRINUSE|address already in use/i.test(e.message)) {
      throw new CliError(
        `cannot listen on ${opts.listen.join(', ')}: the port is in use; pick another --listen port, or port 0 (/tcp/0, /udp/0/quic-v1) for any free one`,
        'ERR_PORT_IN_USE',
      )
    }
    throw new CliError(`could not start the node: ${e.message}`, e.code ?? 'ERR_START')
  }
}

/** The progress bound's mark: the node's tags plus degraded=progress (`murmur members` shows it). */
function markDegraded(metadata: Uint8Array): Uint8Array {
  const info = decodeInfo(metadata)
  return encodeInfo({ ...info, tags: { ...info.tags, [DEGRADED_TAG]: 'progress' } })
}

/** `--config`: a JSON object of SwimConfig overrides (validated by the engine, every problem listed). */
async function readConfigFile(path: string): Promise<Partial<SwimConfig>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new CliError(
      `cannot read config file ${path} (${(err as { code?: string }).code ?? (err as Error).message})`,
      'ERR_CONFIG_FILE',
      EXIT.usage,
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CliError(`config file ${path} is not JSON: ${(err as Error).message}`, 'ERR_CONFIG_FILE', EXIT.usage)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(
      `config file ${path} must hold a JSON object, e.g. {"probeIntervalMs": 500}`,
      'ERR_CONFIG_FILE',
      EXIT.usage,
    )
  }
  return value as Partial<SwimConfig>
}

class Agent implements AgentControl {
  readonly done: Promise<number>
  private resolveDone!: (code: number) => void
  private readonly subscribers = new Set<(e: AgentEvent) => void>()
  private readonly handler: EventHandlerRunner | undefined
  private server: Server | undefined
  private apiAddress = ''
  private stopping = false
  private snapshotTimer: NodeJS.Timeout | undefined
  private readonly snapshots: SnapshotWriter | undefined
  private loopBlocker: NodeJS.Timeout | undefined
  /** Event-loop delay, sampled every 10 ms (reported in /v1/info as eventLoop). */
  private readonly loopHistogram = monitorEventLoopDelay({ resolution: 10 })

  constructor(
    private readonly opts: AgentOptions,
    private readonly io: IO,
    private readonly node: Node,
    private readonly service: MembershipService,
    private readonly nodeInfo: { name?: string; tags: Record<string, string> },
  ) {
    this.done = new Promise((r) => {
      this.resolveDone = r
    })
    this.loopHistogram.enable()
    this.snapshots = opts.snapshot === undefined ? undefined : new SnapshotWriter(opts.snapshot)
    this.handler = opts.eventHandler
      ? new EventHandlerRunner(opts.eventHandler, (m) => this.io.err(`murmur: ${m}`))
      : undefined
    for (const type of MEMBER_EVENTS) {
      service.addEventListener(type, (ev) => {
        this.emit({ event: type, time: new Date().toISOString(), ...memberJson(ev.detail) })
        this.scheduleSnapshot()
      })
    }
    service.addEventListener('user-event', (ev) => {
      const e = ev.detail
      const payload = new TextDecoder().decode(e.payload)
      this.emit({
        event: 'user-event',
        time: new Date().toISOString(),
        origin: e.origin,
        name: e.name,
        payload,
        ltime: e.ltime,
      })
    })
    if (opts.eventHandler !== undefined) this.answerQueries(opts.eventHandler)
    this.installSignals()
  }

  /** The event handler answers every query meant for this node: its stdout is the answer (Serf). */
  private answerQueries(command: string): void {
    const maxBytes = this.service.config.maxQueryResponseBytes
    this.service.handleQuery('*', (q) =>
      runQueryHandler(
        command,
        {
          event: 'query',
          time: new Date().toISOString(),
          id: q.id,
          origin: q.origin,
          name: q.name,
          payload: new TextDecoder().decode(q.payload),
        },
        maxBytes,
        q.signal,
        (m) => this.io.err(`murmur: ${m}`),
      ),
    )
  }

  async serveApi(token: string | undefined): Promise<void> {
    const onError = (err: Error) => this.io.err(`murmur: control API error: ${err.message}`)
    const server = createApiServer(this, onError, { token, ui: this.opts.ui === true })
    const { host, port } = this.opts.api
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: Error & { code?: string }) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new CliError(
                `the control API port ${host}:${port} is in use; pass --api 127.0.0.1:<free port> (0 = any)`,
                'ERR_PORT_IN_USE',
              )
            : new CliError(`cannot serve the control API on ${host}:${port}: ${err.message}`, 'ERR_API_LISTEN'),
        )
      })
      server.listen(port, host, () => resolve())
    })
    this.server = server
    const addr = server.address() as AddressInfo
    this.apiAddress = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`
    if (this.opts.ui === true) this.io.err(`murmur: web view at http://${this.apiAddress}/ui`)
  }

  ready(): void {
    const self = this.service.self()
    this.emit({
      event: 'ready',
      time: new Date().toISOString(),
      id: self.id,
      name: this.nodeInfo.name ?? '',
      pid: process.pid,
      addrs: this.node.getMultiaddrs().map((a) => a.toString()),
      api: this.apiAddress,
    })
  }

  /** Joins in the background; when every attempt failed and that is fatal, stops with EXIT.joinFailed. */
  async joinOrExit(seeds: string[], fatal: boolean): Promise<void> {
    if (!(await this.joinWithRetry(seeds, fatal))) await this.shutdown(false, EXIT.joinFailed)
  }

  /** Joins, retrying with exponential backoff; false when every attempt failed and that is fatal. */
  private async joinWithRetry(seeds: string[], fatal: boolean): Promise<boolean> {
    let delay = this.opts.retryIntervalMs
    for (let attempt = 0; ; attempt++) {
      try {
        // names (/dns4, /dnsaddr) resolved afresh on every attempt: a seed that moved is found
        const addrs = await resolveSeeds(seeds, this.opts.resolver)
        await this.service.join(addrs, { signal: AbortSignal.timeout(JOIN_ATTEMPT_TIMEOUT_MS) })
        return true
      } catch (err) {
        if (this.stopping || this.inCluster()) return true
        const last = attempt >= this.opts.retryMax
        const message = `join failed (attempt ${attempt + 1} of ${this.opts.retryMax + 1}): ${(err as Error).message}`
        if (last) {
          this.emit({ event: 'error', time: new Date().toISOString(), code: 'ERR_JOIN_FAILED', message })
          this.io.err(`murmur: ${message}; check that the --join addresses are right and reachable`)
          return !fatal
        }
        // equal jitter: agents of a start storm whose joins failed together do not retry together
        const wait = Math.round(delay / 2 + Math.random() * (delay / 2))
        if (!this.opts.json) this.io.err(`murmur: ${message}; retrying in ${wait} ms`)
        await new Promise((r) => setTimeout(r, wait))
        if (this.stopping || this.inCluster()) return true
        delay = Math.min(delay * 2, JOIN_RETRY_MAX_DELAY_MS)
      }
    }
  }

  /**
   * Another member is alive in our table: someone reached us, so we are in the cluster even when
   * our own push-pull with the seeds timed out (a seed swamped by a start storm often answers
   * after our deadline, and gossips us to the others all the same).
   */
  private inCluster(): boolean {
    const self = this.service.self().id
    return this.service.members().some((m) => m.id !== self && m.state === 'alive')
  }

  /** Leaves (when `graceful`), stops the node and the API, and resolves `done` with `code`. */
  async shutdown(graceful: boolean, code: number = EXIT.ok): Promise<void> {
    if (!(await this.leaveCluster(graceful))) return
    await this.finish(code)
  }

  /** Says goodbye (bounded by leaveTimeoutMs); false when a shutdown was already under way. */
  private async leaveCluster(graceful: boolean): Promise<boolean> {
    if (this.stopping) return false
    this.stopping = true
    this.loopHistogram.disable()
    if (graceful) {
      this.emit({ event: 'leaving', time: new Date().toISOString(), id: this.service.self().id })
      const timeout = this.service.config.leaveTimeoutMs + LEAVE_SLACK_MS
      await this.service.leave({ signal: AbortSignal.timeout(timeout) }).catch(() => {})
    }
    return true
  }

  /** Stops the node, lets the event handler and the API finish, then resolves `done`. */
  private async finish(code: number = EXIT.ok): Promise<void> {
    const id = this.service.self().id
    clearInterval(this.loopBlocker)
    clearTimeout(this.snapshotTimer)
    await this.saveSnapshot()
    await Promise.resolve(this.node.stop()).catch(() => {})
    this.emit({ event: 'stopped', time: new Date().toISOString(), id })
    await this.handler?.idle()
    const server = this.server
    if (server !== undefined) {
      // answered requests first; event streams and stuck clients get a second, then are cut
      server.closeIdleConnections()
      const cut = setTimeout(() => server.closeAllConnections(), API_CLOSE_GRACE_MS)
      await new Promise((r) => server.close(() => r(undefined)))
      clearTimeout(cut)
    }
    this.resolveDone(code)
  }

  // ---- AgentControl (the control API) ----

  self() {
    return memberJson(this.service.self())
  }

  members() {
    const from = this.service.self().coordinate
    return this.service.members().map((m) => memberJson(m, from))
  }

  join(addrs: string[]) {
    return this.service.join(addrs, { signal: AbortSignal.timeout(JOIN_ATTEMPT_TIMEOUT_MS) })
  }

  async leave() {
    if (!(await this.leaveCluster(true))) return
    // answer the API call first, then stop
    setTimeout(() => void this.finish(), LEAVE_ANSWER_DELAY_MS)
  }

  setTags(set: Record<string, string>, unset: string[]) {
    const info = decodeInfo(this.service.self().metadata)
    const tags = { ...info.tags, ...set }
    for (const k of unset) delete tags[k]
    this.nodeInfo.tags = tags
    this.service.setMetadata(encodeInfo({ name: this.nodeInfo.name, tags }))
    return tags
  }

  event(name: string, payload: string) {
    return this.service.broadcast(name, new TextEncoder().encode(payload))
  }

  async forceLeave(key: string, prune: boolean) {
    const id = resolveMemberId(this.service.members(), key)
    await this.service.forceLeave(id, { prune })
    return { id }
  }

  reachability(timeoutMs: number) {
    return checkReachability(this.service, timeoutMs)
  }

  query(r: QueryRequest): QueryStreamLike {
    const q = this.service.query(r.name, new TextEncoder().encode(r.payload), {
      filter: { ids: r.nodes, tags: r.tags },
      timeoutMs: r.timeoutMs,
      requestAck: r.ack,
      relayFactor: r.relay,
    })
    const service = this.service
    return {
      cancel: () => q.cancel(),
      async *[Symbol.asyncIterator]() {
        for await (const a of q) {
          const name = decodeInfo(service.member(a.from)?.metadata ?? new Uint8Array(0)).name ?? ''
          if (a.ack) yield { event: 'ack' as const, from: a.from, name }
          else yield { event: 'answer' as const, from: a.from, name, payload: new TextDecoder().decode(a.payload) }
        }
      },
    }
  }

  info() {
    const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
    for (const m of this.service.members()) counts[m.state]++
    return {
      id: this.service.self().id,
      name: this.nodeInfo.name ?? '',
      pid: process.pid,
      api: this.apiAddress,
      addrs: this.node.getMultiaddrs().map((a) => a.toString()),
      incarnation: this.service.self().incarnation,
      healthScore: this.service.healthScore(),
      members: counts,
      fingerprint: this.service.fingerprint(),
      config: this.service.config,
      stats: this.service.stats(),
      eventLoop: this.loopDelay(),
      eventHandler: this.handler ? { dropped: this.handler.dropped, failures: this.handler.failures } : null,
    }
  }

  /**
   * How late this process ran its event loop since the last read (perf_hooks' histogram, reset on
   * each read), in ms: what a flood or a busy host costs the node's probes.
   */
  private loopDelay() {
    const h = this.loopHistogram
    const ms = (ns: number) => Math.round(ns / 1e4) / 100
    const out = { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) }
    h.reset()
    return out
  }

  async metrics() {
    // loaded on the first scrape: an agent nobody scrapes never loads prom-client and what it
    // pulls in (@opentelemetry/api, tdigest, bintrees)
    const { createMetrics } = await import('./metrics.ts')
    const registry = createMetrics(this.service)
    return { contentType: registry.contentType, body: await registry.metrics() }
  }

  subscribe(listener: (e: AgentEvent) => void) {
    this.subscribers.add(listener)
    return () => void this.subscribers.delete(listener)
  }

  get faults(): AgentControl['faults'] {
    if (!this.opts.testFaults) return undefined
    return (f) => {
      const dropRate = typeof f.dropRate === 'number' ? f.dropRate : undefined
      const blocked = Array.isArray(f.blocked) ? f.blocked.filter((x): x is string => typeof x === 'string') : undefined
      this.service.setFaults({ dropRate, blocked })
      clearInterval(this.loopBlocker)
      const busy = Number(f.blockLoopMs ?? 0)
      const every = Number(f.blockEveryMs ?? 0)
      const block = () => {
        const end = Date.now() + busy
        while (Date.now() < end) {
          // a deliberately blocked event loop: the slow-node and blocked-app tests
        }
      }
      // every > 0: a stall every `every` ms; no period: one stall, just after the API answered
      if (busy > 0 && every > 0) this.loopBlocker = setInterval(block, every)
      else if (busy > 0) this.loopBlocker = setTimeout(block, BLOCK_ONCE_DELAY_MS)
    }
  }

  // ---- internals ----

  private emit(e: AgentEvent): void {
    this.io.out(this.opts.json ? JSON.stringify(e) : eventLine(e, this.io.isTTY))
    for (const s of this.subscribers) s(e)
    this.handler?.push(e)
  }

  private installSignals(): void {
    let signalled = 0
    const onSignal = (sig: NodeJS.Signals) => {
      signalled++
      if (signalled > 1) {
        this.io.err(`murmur: second ${sig}: exiting now without leaving`)
        this.resolveDone(EXIT.interrupted)
        return
      }
      if (!this.opts.json) this.io.err(`murmur: ${sig}: leaving the cluster (send it again to exit at once)`)
      void this.shutdown(true)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  }

  private scheduleSnapshot(): void {
    if (this.opts.snapshot === undefined || this.snapshotTimer !== undefined) return
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = undefined
      void this.saveSnapshot()
    }, SNAPSHOT_DEBOUNCE_MS)
  }

  private async saveSnapshot(): Promise<void> {
    if (this.snapshots === undefined) return
    const members = this.service
      .members()
      .filter((m) => m.state === 'alive' && m.id !== this.service.self().id)
      .map((m) => ({ id: m.id, addrs: [...m.addrs] }))
    await this.snapshots
      .save(members)
      .catch((err) => this.io.err(`murmur: cannot write snapshot ${this.opts.snapshot}: ${(err as Error).message}`))
  }
}
