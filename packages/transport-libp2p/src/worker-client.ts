/**
 * Worker mode, the app's side: createMurmurNode({ worker: true }) starts libp2p and the engine on
 * a worker thread (worker-host.ts) and hands back a node whose `services.membership` has the
 * same API and types as the in-thread service. Reads (members, self, stats, ...) answer at once
 * from a mirror the worker keeps current (every event, every reply, and a full status every
 * STATUS_INTERVAL_MS); calls (join, leave, broadcast) cross the port and resolve with the reply.
 * A blocked app thread no longer stops the node's heartbeats.
 */
import { Worker } from 'node:worker_threads'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import {
  compileFilter,
  InvalidArgumentError,
  InvalidConfigError,
  JoinFailedError,
  MAX_RELAY_FACTOR,
  type Member,
  MemberNotDeadError,
  type MembershipEvents,
  NotStartedError,
  type QueryHandler,
  type QueryOptions,
  type QueryResult,
  QueryStream,
  type ResolvedConfig,
  resolveConfig,
  TimeoutError,
  TooManyPingsError,
  TooManyQueriesError,
  UnknownMemberError,
} from '@murmur/core'
import type {
  CreateMurmurWorkerNodeOptions,
  Faults,
  MembershipService,
  MembershipServiceStats,
  MurmurWorkerNode,
  ProgressOptions,
} from './index.ts'
import { isQuicAddr } from './quic.ts'
import type { FromWorker, QueryTags, ToWorker, WireError, WorkerData, WorkerStatus } from './worker-protocol.ts'

/** How often the worker sends a full status (members with their RTTs, stats) without being asked. */
export const STATUS_INTERVAL_MS = 1000
/** How long stop() waits for the worker to stop libp2p before it terminates the thread. */
export const WORKER_STOP_TIMEOUT_MS = 10_000

/** Rebuilds an error that crossed the port as the same class (name, code) it was thrown as. */
function fromWire(e: WireError): Error {
  let err: Error
  switch (e.name) {
    case 'JoinFailedError':
      err = new JoinFailedError(e.message, (e.errors ?? []).map(fromWire))
      break
    case 'InvalidArgumentError':
      err = new InvalidArgumentError(e.message)
      break
    case 'NotStartedError':
      err = new NotStartedError(e.message)
      break
    case 'InvalidConfigError':
      err = new InvalidConfigError(e.problems ?? [e.message])
      break
    case 'TooManyQueriesError':
      err = new TooManyQueriesError(e.message)
      break
    case 'TimeoutError':
      err = new TimeoutError(e.message)
      break
    case 'TooManyPingsError':
      err = new TooManyPingsError(e.message)
      break
    case 'UnknownMemberError':
      err = new UnknownMemberError(e.message)
      break
    case 'MemberNotDeadError':
      err = new MemberNotDeadError(e.message)
      break
    default:
      err = Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code })
      err.name = e.name
  }
  return err
}

function freeze(m: Member): Member {
  return Object.freeze(m.reason === undefined ? m : { ...m, reason: Object.freeze(m.reason) })
}

const MEMBER_EVENTS = new Set<string>([
  'member:join',
  'member:update',
  'member:suspect',
  'member:alive',
  'member:dead',
  'member:leave',
  'member:reap',
])

/** The service as the app's thread sees it: a mirror plus calls over the port. */
class WorkerMembershipService extends TypedEventEmitter<MembershipEvents> implements MembershipService {
  readonly [Symbol.toStringTag] = '@murmur/libp2p/worker'
  readonly config: ResolvedConfig
  private status: WorkerStatus
  private mirror = new Map<string, Member>()
  private nextId = 1
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private stopped = false
  private probeSubscribed = false
  private readonly queries = new Map<number, QueryStream>()
  private readonly handlers = new Map<string, QueryHandler>()
  private readonly requests = new Map<number, AbortController>()

  constructor(
    private readonly worker: Worker,
    config: ResolvedConfig,
    status: WorkerStatus,
    private readonly degrade: ((metadata: Uint8Array) => Uint8Array) | undefined,
    private readonly tagsOf: ((metadata: Uint8Array) => Readonly<Record<string, string>>) | undefined,
  ) {
    super()
    this.config = config
    this.status = status
    this.applyStatus(status)
  }

  /** Handles one message from the worker. */
  receive(m: FromWorker): void {
    switch (m.type) {
      case 'event': {
        if (MEMBER_EVENTS.has(m.name)) {
          const member = freeze(m.detail as Member)
          if (m.name === 'member:reap') this.mirror.delete(member.id)
          else this.mirror.set(member.id, member)
          this.safeDispatchEvent(m.name, { detail: member })
        } else {
          this.safeDispatchEvent(m.name, { detail: Object.freeze(m.detail as object) } as never)
        }
        return
      }
      case 'status':
        this.applyStatus(m.status)
        return
      case 'query-event':
        this.queries.get(m.id)?.push(Object.freeze(m.answer))
        return
      case 'query-end':
        this.queries.get(m.id)?.end(m.error === undefined ? undefined : fromWire(m.error))
        this.queries.delete(m.id)
        return
      case 'query-request':
        this.runHandler(m)
        return
      case 'query-abort':
        this.requests.get(m.id)?.abort()
        this.requests.delete(m.id)
        return
      case 'reply': {
        this.applyStatus(m.status)
        const call = this.calls.get(m.id)
        if (call === undefined) return
        this.calls.delete(m.id)
        if (m.ok) call.resolve(m.value)
        else call.reject(fromWire(m.error))
        return
      }
      default:
        return
    }
  }

  /** The worker is gone: every pending call fails. */
  closed(reason: Error): void {
    this.stopped = true
    for (const c of this.calls.values()) c.reject(reason)
    this.calls.clear()
    for (const q of this.queries.values()) q.end()
    this.queries.clear()
    for (const r of this.requests.values()) r.abort()
    this.requests.clear()
  }

  get addrs(): string[] {
    return this.status.addrs
  }

  /** Is this node announcing itself degraded now (the progress bound)? */
  get degraded(): boolean {
    return this.status.degraded
  }

  members(): Member[] {
    return [this.status.self, ...this.mirror.values()]
  }

  self(): Member {
    return this.status.self
  }

  member(id: string): Member | undefined {
    return id === this.status.self.id ? this.status.self : this.mirror.get(id)
  }

  join(addrs: Array<string | Multiaddr>, options: { signal?: AbortSignal } = {}): Promise<number> {
    return this.call({ method: 'join', args: [addrs.map(String), undefined] }, options.signal) as Promise<number>
  }

  leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.call({ method: 'leave', args: [undefined] }, options.signal) as Promise<void>
  }

  setMetadata(bytes: Uint8Array): void {
    if (bytes.byteLength > this.config.maxMetadataBytes) {
      throw new InvalidArgumentError(
        `metadata is ${bytes.byteLength} bytes; maxMetadataBytes is ${this.config.maxMetadataBytes}`,
      )
    }
    const marked = this.degrade?.(bytes)
    const tags = queryTags(this.tagsOf, bytes, marked)
    // applied in the worker in call order; a later read of self() shows it once the reply is in
    void this.call({ method: 'setMetadata', args: [bytes.slice(), marked, tags] }).catch(() => {})
  }

  /** Replaces our report; applied in the worker (which checks its size and computes its digest). */
  setReport(report: Uint8Array | undefined): void {
    if (report !== undefined && report.byteLength > this.config.maxReportBytes) {
      throw new InvalidArgumentError(
        `report is ${report.byteLength} bytes; maxReportBytes is ${this.config.maxReportBytes}`,
      )
    }
    void this.call({ method: 'setReport', args: [report?.slice()] }).catch(() => {})
  }

  /**
   * A query, asked by the worker; its answers cross the port as they come. Bounds are checked
   * here first, so that a bad query throws as in-thread; maxQueriesInFlight is the worker's to
   * check, and its TooManyQueriesError comes from the iterator.
   */
  query(name: string, payload: Uint8Array = new Uint8Array(0), options: QueryOptions = {}): QueryResult {
    if (this.stopped) throw new NotStartedError('the worker-mode node is stopped')
    this.checkQuery(name, payload, options)
    options.signal?.throwIfAborted()
    const id = this.nextId++
    const stream = new QueryStream(name, this.config.maxQueryAnswers, () => {
      this.queries.delete(id)
      if (!this.stopped) this.worker.postMessage({ type: 'query-cancel', id } satisfies ToWorker)
    })
    this.queries.set(id, stream)
    options.signal?.addEventListener('abort', () => stream.cancel(), { once: true })
    const { filter, timeoutMs, requestAck, relayFactor } = options
    const wireOptions = {
      ...(filter === undefined ? {} : { filter: { ids: [...(filter.ids ?? [])], tags: [...(filter.tags ?? [])] } }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(requestAck === undefined ? {} : { requestAck }),
      ...(relayFactor === undefined ? {} : { relayFactor }),
    }
    this.worker.postMessage({ type: 'query', id, name, payload, options: wireOptions } satisfies ToWorker)
    return stream
  }

  handleQuery(name: string, handler: QueryHandler | undefined): void {
    if (handler === undefined) this.handlers.delete(name)
    else this.handlers.set(name, handler)
    if (!this.stopped)
      this.worker.postMessage({ type: 'handle-query', name, on: handler !== undefined } satisfies ToWorker)
  }

  broadcast(name: string, payload?: Uint8Array): Promise<void> {
    return this.call({ method: 'broadcast', args: [name, payload] }) as Promise<void>
  }

  forceLeave(id: string, options: { prune?: boolean } = {}): Promise<void> {
    return this.call({ method: 'forceLeave', args: [id, options.prune] }) as Promise<void>
  }

  ping(id: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<number> {
    return this.call({ method: 'ping', args: [id, options.timeoutMs] }, options.signal) as Promise<number>
  }

  healthScore(): number {
    return this.status.healthScore
  }

  fingerprint(): string {
    return this.status.fingerprint
  }

  /** The counters as of the last status (at most STATUS_INTERVAL_MS old); refresh() for current ones. */
  stats(): MembershipServiceStats {
    return this.status.stats
  }

  /** Fetches a fresh status (members, stats, health) from the worker. */
  async refresh(): Promise<void> {
    await this.call({ method: 'status', args: [] })
  }

  setFaults(faults: Faults): void {
    void this.call({ method: 'setFaults', args: [faults] }).catch(() => {})
  }

  async stopWorker(): Promise<void> {
    if (this.stopped) return
    await this.call({ method: 'stop', args: [] })
  }

  override addEventListener(...args: Parameters<TypedEventEmitter<MembershipEvents>['addEventListener']>): void {
    super.addEventListener(...args)
    this.syncProbeSubscription()
  }

  override removeEventListener(...args: Parameters<TypedEventEmitter<MembershipEvents>['removeEventListener']>): void {
    super.removeEventListener(...args)
    this.syncProbeSubscription()
  }

  private checkQuery(name: string, payload: Uint8Array, o: QueryOptions): void {
    const c = this.config
    const problem =
      name.length === 0 || name.length > 128
        ? 'query name must be 1 to 128 characters'
        : payload.byteLength > c.maxQueryBytes
          ? `query payload is ${payload.byteLength} bytes; maxQueryBytes is ${c.maxQueryBytes}`
          : o.timeoutMs !== undefined &&
              (!Number.isInteger(o.timeoutMs) || o.timeoutMs < 1 || o.timeoutMs > c.maxQueryTimeoutMs)
            ? `query timeoutMs must be an integer in [1, ${c.maxQueryTimeoutMs}], got ${o.timeoutMs}`
            : o.relayFactor !== undefined &&
                (!Number.isInteger(o.relayFactor) || o.relayFactor < 0 || o.relayFactor > MAX_RELAY_FACTOR)
              ? `query relayFactor must be an integer in [0, ${MAX_RELAY_FACTOR}], got ${o.relayFactor}`
              : undefined
    if (problem !== undefined) throw new InvalidArgumentError(problem)
    const filter = compileFilter(o.filter?.ids ?? [], o.filter?.tags ?? [])
    if (typeof filter === 'string') throw new InvalidArgumentError(`query filter: ${filter}`)
  }

  /** Runs the app's handler for a query the worker received; its answer goes back over the port. */
  private runHandler(m: Extract<FromWorker, { type: 'query-request' }>): void {
    const handler = this.handlers.get(m.handler)
    const controller = new AbortController()
    this.requests.set(m.id, controller)
    const reply = (payload: Uint8Array | undefined) => {
      if (!this.requests.delete(m.id) || this.stopped) return
      this.worker.postMessage({ type: 'query-answer', id: m.id, payload } satisfies ToWorker)
    }
    if (handler === undefined) {
      reply(undefined)
      return
    }
    Promise.resolve()
      .then(() => handler(Object.freeze({ ...m.info, signal: controller.signal })))
      .then(reply, () => reply(undefined))
  }

  /** Probe events (one per probe round) cross the port only while someone listens. */
  private syncProbeSubscription(): void {
    const on = this.listenerCount('probe') > 0
    if (on === this.probeSubscribed || this.stopped) return
    this.probeSubscribed = on
    this.worker.postMessage({ type: 'subscribe', name: 'probe', on } satisfies ToWorker)
  }

  private applyStatus(status: WorkerStatus): void {
    this.status = { ...status, self: freeze(status.self) }
    const mirror = new Map<string, Member>()
    for (const m of status.members) if (m.id !== status.self.id) mirror.set(m.id, freeze(m))
    this.mirror = mirror
  }

  private call(m: Omit<Extract<ToWorker, { type: 'call' }>, 'type' | 'id'>, signal?: AbortSignal): Promise<unknown> {
    if (this.stopped) return Promise.reject(new NotStartedError('the worker-mode node is stopped'))
    signal?.throwIfAborted()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const onAbort = () => this.worker.postMessage({ type: 'abort', id } satisfies ToWorker)
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = () => signal?.removeEventListener('abort', onAbort)
      this.calls.set(id, {
        resolve: (v) => {
          done()
          resolve(v)
        },
        reject: (e) => {
          done()
          reject(e)
        },
      })
      this.worker.postMessage({ type: 'call', id, ...m } as ToWorker)
    })
  }
}

/** A worker-mode node, as createMurmurNode({ worker: true }) returns it. */
export class WorkerMurmurNode implements MurmurWorkerNode {
  readonly services: { membership: WorkerMembershipService }
  private stopping: Promise<void> | undefined
  private readonly ticker: NodeJS.Timeout | undefined

  constructor(
    readonly peerId: PeerId,
    readonly worker: Worker,
    membership: WorkerMembershipService,
    counter: Int32Array | undefined,
    tickMs: number,
  ) {
    this.services = { membership }
    // the progress heartbeat: one atomic add per tick on the app's thread, no message
    if (counter !== undefined) {
      this.ticker = setInterval(() => Atomics.add(counter, 0, 1), tickMs)
      this.ticker.unref()
    }
  }

  getMultiaddrs(): Multiaddr[] {
    return this.services.membership.addrs.map((a) => multiaddr(a))
  }

  /** Stops libp2p in the worker (without leaving: call leave() first), then ends the thread. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.ticker)
      const service = this.services.membership
      const timeout = new Promise((r) => setTimeout(r, WORKER_STOP_TIMEOUT_MS).unref())
      await Promise.race([service.stopWorker().catch(() => {}), timeout])
      service.closed(new NotStartedError('the worker-mode node is stopped'))
      await this.worker.terminate()
    })()
    return this.stopping
  }
}

/** Checks a progress bound; returns the tick and check periods it implies. */
function progressPeriods(p: ProgressOptions): { tickMs: number; checkMs: number } {
  if (!Number.isFinite(p.timeoutMs) || p.timeoutMs < 100) {
    throw new InvalidArgumentError(`progress.timeoutMs must be a number of ms >= 100, got ${p.timeoutMs}`)
  }
  if (p.action !== undefined && p.action !== 'degrade' && p.action !== 'leave') {
    throw new InvalidArgumentError(`progress.action must be 'degrade' or 'leave', got ${JSON.stringify(p.action)}`)
  }
  if ((p.action ?? 'degrade') === 'degrade' && p.degradedMetadata === undefined) {
    throw new InvalidArgumentError(
      "progress.action 'degrade' needs progress.degradedMetadata: how this app marks its own metadata as degraded (others see the mark)",
    )
  }
  // ticks well inside the bound; checks often enough to report within the bound plus a check
  return { tickMs: Math.min(1000, Math.floor(p.timeoutMs / 5)), checkMs: Math.min(250, Math.floor(p.timeoutMs / 10)) }
}

/** Starts a worker-mode node; rejects as createMurmurNode would (bad config, port in use, join failed). */
export async function createWorkerNode(options: CreateMurmurWorkerNodeOptions): Promise<WorkerMurmurNode> {
  const init = options.membership ?? {}
  if (init.ackPayload !== undefined) {
    throw new InvalidArgumentError(
      'membership.ackPayload is a function and cannot run in the worker: worker mode does not support it',
    )
  }
  // the config is checked here first, so that a bad one throws InvalidConfigError as in-thread
  resolveConfig({ ...init.config, profile: init.profile })
  const progress = options.progress
  const periods = progress === undefined ? undefined : progressPeriods(progress)
  const privateKey = options.privateKey ?? (await generateKeyPair('Ed25519'))
  const { ackPayload: _, tagsOf, ...membership } = init
  const counter = progress === undefined ? undefined : new SharedArrayBuffer(4)
  const metadata = init.metadata ?? new Uint8Array(0)
  const data: WorkerData = {
    listen: options.listen,
    privateKey: privateKeyToProtobuf(privateKey),
    psk: options.psk,
    allow: options.allow,
    quic: options.quic ?? (options.join?.some(isQuicAddr) === true ? true : undefined),
    membership,
    ...queryTags(tagsOf, metadata, progress?.degradedMetadata?.(metadata)),
    statusIntervalMs: STATUS_INTERVAL_MS,
    ...(progress === undefined || counter === undefined || periods === undefined
      ? {}
      : {
          progress: {
            timeoutMs: progress.timeoutMs,
            checkMs: periods.checkMs,
            action: progress.action ?? 'degrade',
            counter,
            degradedMetadata: progress.degradedMetadata?.(metadata),
          },
        }),
  }
  const worker = new Worker(new URL('./worker-host.js', import.meta.url), {
    workerData: data,
    transferList: [],
  })
  const ready = await new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the murmur worker exited (code ${code}) before it was ready`))
    worker.once('error', reject)
    worker.once('exit', onExit)
    worker.once('message', (m: FromWorker) => {
      worker.off('error', reject)
      worker.off('exit', onExit)
      if (m.type === 'ready') resolve(m)
      else if (m.type === 'failed') reject(fromWire(m.error))
      else reject(new Error(`the murmur worker said ${m.type} before ready`))
    })
  }).catch(async (err) => {
    await worker.terminate()
    throw err
  })
  const service = new WorkerMembershipService(worker, ready.config, ready.status, progress?.degradedMetadata, tagsOf)
  worker.on('message', (m: FromWorker) => service.receive(m))
  worker.on('error', (err) => service.closed(err))
  worker.on('exit', (code) => service.closed(new NotStartedError(`the murmur worker exited (code ${code})`)))
  const node = new WorkerMurmurNode(
    peerIdFromString(ready.peerId),
    worker,
    service,
    counter === undefined ? undefined : new Int32Array(counter),
    periods?.tickMs ?? 0,
  )
  if (options.join !== undefined && options.join.length > 0) {
    try {
      await service.join(options.join)
    } catch (err) {
      await node.stop()
      throw err
    }
  }
  return node
}

/** The tags of `metadata` and of its degraded mark, read with the app's tagsOf (none without one). */
function queryTags(
  tagsOf: ((metadata: Uint8Array) => Readonly<Record<string, string>>) | undefined,
  metadata: Uint8Array,
  marked: Uint8Array | undefined,
): QueryTags | undefined {
  if (tagsOf === undefined) return undefined
  const read = (m: Uint8Array) => {
    try {
      return { ...tagsOf(m) }
    } catch {
      return {}
    }
  }
  return { tags: read(metadata), ...(marked === undefined ? {} : { degradedTags: read(marked) }) }
}
