import { CLAIM_LIMITS } from './claim-limits.ts'
import type { TimerId } from './clock.ts'
import { owned, type Query, type QueryResponse, querySigningBytes, responseSigningBytes } from './codec/index.ts'
import { Query as QueryCodec } from './codec/messages.ts'
import { type Context, type Via, whenReady } from './context.ts'
import { retransmitLimit, TransmitLimitedQueue } from './dissemination.ts'
import { InvalidArgumentError, TooManyQueriesError } from './errors.ts'
import { isLive } from './member-list.ts'
import { QueryAnswers } from './query-answers.ts'
import { type CompiledFilter, compileFilter, matchesFilter } from './query-filter.ts'
import {
  MAX_RELAY_FACTOR,
  type QueryHandler,
  type QueryInfo,
  type QueryOptions,
  type QueryResult,
} from './query-stream.ts'
import { queryKey, SeqWindows } from './query-windows.ts'
import { KeyedRateLimit } from './rate-limit.ts'
import type { Peer } from './transport.ts'

const EMPTY = new Uint8Array(0)
const MAX_NAME = 128
/** A signature's bytes and their framing, for sizing a query before it is signed. */
const SIGNATURE_BYTES = 66
/** A query's tag and length prefix inside a packet, at most. */
const QUERY_FRAMING = 3
/** Others' queries held in our gossip queue at once; more are handled but not passed on (query-limit). */
const MAX_QUEUED_QUERIES = 256
/** Queries accepted per origin per second (burst twice that); past it they are dropped (query-limit). */
export const QUERIES_PER_ORIGIN_PER_SECOND = 20

/** What Queries needs from the engine. */
export interface QueryHost {
  incarnation(): number
  /** Our metadata and how to read tags from it (none: tag filters match nothing here). */
  tags: (() => Readonly<Record<string, string>>) | undefined
  /** Sends responses in one packet. */
  send(to: Peer, responses: QueryResponse[]): void
  /** The gossip loop sleeps while every queue is empty. */
  wake(): void
}

/**
 * Queries with answers (Serf's `query`): a signed question spreads by gossip like a user event,
 * in its own queue and byte budget; each member it is for runs its handler and sends its signed
 * answer straight back to the origin (and through `relayFactor` random members). The origin
 * takes each member's answer once, until the deadline. (origin, incarnation, seq) names a query;
 * each origin's recent sequence numbers are remembered, so a replay is stale.
 */
export class Queries {
  readonly queue: TransmitLimitedQueue<Query>
  private seq = 0
  private readonly ours: QueryAnswers
  private readonly handlers = new Map<string, QueryHandler>()
  private running = 0
  /** Expiry timers of queued queries, by key: a query is not gossiped past its deadline. */
  private readonly expiring = new Map<string, TimerId>()
  private readonly rate = new KeyedRateLimit(() => QUERIES_PER_ORIGIN_PER_SECOND)
  private readonly windows: SeqWindows

  constructor(
    private readonly ctx: Context,
    private readonly host: QueryHost,
  ) {
    this.queue = new TransmitLimitedQueue(
      () => retransmitLimit(ctx.config.retransmitMult, ctx.clusterSize()),
      () => host.wake(),
      (have) => ctx.list.allLiveIn(have),
    )
    this.ours = new QueryAnswers(ctx)
    this.windows = new SeqWindows(ctx)
  }

  /** Registers the handler of queries named `name` ('*': of every name without its own); undefined removes it. */
  handle(name: string, handler: QueryHandler | undefined): void {
    if (handler === undefined) this.handlers.delete(name)
    else this.handlers.set(name, handler)
  }

  /** Asks the cluster; throws InvalidArgumentError or TooManyQueriesError on what cannot be sent. */
  ask(name: string, payload: Uint8Array, options: QueryOptions): QueryResult {
    const { config } = this.ctx
    const query = this.build(name, payload, options)
    const filter = compileFilter(query.filterIds, query.filterTags)
    if (typeof filter === 'string') throw new InvalidArgumentError(`query filter: ${filter}`)
    if (this.ours.size >= config.maxQueriesInFlight) {
      throw new TooManyQueriesError(
        `${this.ours.size} queries in flight; maxQueriesInFlight is ${config.maxQueriesInFlight}`,
      )
    }
    options.signal?.throwIfAborted()
    this.seq++
    query.seq = this.seq
    const stream = this.ours.start(query, options.signal)
    this.ctx.stats.queries++
    whenReady(
      () => this.ctx.signer.sign(querySigningBytes(query, config.cluster)),
      (signature) => this.accept({ ...query, signature: owned(signature) }, filter),
      (err) => this.ours.fail(query, err),
    )
    return stream
  }

  /** A query from the network (or a push of one already known). */
  receive(q: Query, via: Via): Promise<void> | undefined {
    const { ctx } = this
    if (q.origin === '' || q.origin.length > CLAIM_LIMITS.maxIdChars || q.name === '' || q.name.length > MAX_NAME) {
      ctx.stats.drops['invalid-claim']++
      return undefined
    }
    if (q.timeoutMs === 0) {
      ctx.stats.drops['invalid-claim']++
      return undefined
    }
    if (q.payload.byteLength > ctx.config.maxQueryBytes) {
      ctx.stats.drops['too-large']++
      return undefined
    }
    if (q.origin === ctx.selfId || !this.windows.fresh(q)) {
      ctx.stats.updatesStale++ // our own coming back, a repeat or a replay
      return undefined
    }
    if (ctx.list.get(q.origin) === undefined) {
      ctx.stats.drops['unknown-member']++ // only members ask
      return undefined
    }
    const filter = compileFilter(q.filterIds, q.filterTags)
    if (typeof filter === 'string') {
      ctx.stats.drops['invalid-filter']++
      return undefined
    }
    return ctx.verification.check(
      q.origin,
      () => querySigningBytes(q, ctx.config.cluster),
      q.signature,
      via,
      () => {
        if (!this.windows.fresh(q)) return
        if (!this.rate.take(q.origin, ctx.clock.now())) {
          ctx.stats.drops['query-limit']++
          return
        }
        this.accept(q, filter)
      },
    )
  }

  /** An ack or answer from the network: for one of our queries, or one to relay to its origin. */
  receiveResponse(r: QueryResponse, via: Via): Promise<void> | undefined {
    const { ctx } = this
    if (
      r.from === '' ||
      r.origin === '' ||
      r.from.length > CLAIM_LIMITS.maxIdChars ||
      r.origin.length > CLAIM_LIMITS.maxIdChars
    ) {
      ctx.stats.drops['invalid-claim']++
      return undefined
    }
    if (r.payload.byteLength > ctx.config.maxQueryResponseBytes) {
      ctx.stats.drops['too-large']++
      return undefined
    }
    if (r.origin !== ctx.selfId) {
      this.relay(r, via)
      return undefined
    }
    return this.ours.receive(r, via)
  }

  /** Ends every query of ours and stops expiry timers (the engine stopped). */
  stop(): void {
    this.ours.endAll()
    for (const t of this.expiring.values()) this.ctx.clock.clearTimeout(t)
    this.expiring.clear()
  }

  get inFlight(): number {
    return this.ours.size
  }

  /** A query of ours, checked and unsigned (seq not yet set). */
  private build(name: string, payload: Uint8Array, o: QueryOptions): Query {
    const { config } = this.ctx
    if (name.length === 0 || name.length > MAX_NAME) {
      throw new InvalidArgumentError(`query name must be 1 to ${MAX_NAME} characters`)
    }
    if (payload.byteLength > config.maxQueryBytes) {
      throw new InvalidArgumentError(
        `query payload is ${payload.byteLength} bytes; maxQueryBytes is ${config.maxQueryBytes}`,
      )
    }
    const timeoutMs = o.timeoutMs ?? this.defaultTimeout()
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > config.maxQueryTimeoutMs) {
      throw new InvalidArgumentError(
        `query timeoutMs must be an integer in [1, ${config.maxQueryTimeoutMs}], got ${timeoutMs}`,
      )
    }
    const relayFactor = o.relayFactor ?? 0
    if (!Number.isInteger(relayFactor) || relayFactor < 0 || relayFactor > MAX_RELAY_FACTOR) {
      throw new InvalidArgumentError(
        `query relayFactor must be an integer in [0, ${MAX_RELAY_FACTOR}], got ${relayFactor}`,
      )
    }
    const query: Query = {
      origin: this.ctx.selfId,
      incarnation: this.host.incarnation(),
      seq: 0xffff_ffff, // the largest, for sizing
      name,
      payload: owned(payload),
      filterIds: [...(o.filter?.ids ?? [])],
      filterTags: [...(o.filter?.tags ?? [])],
      timeoutMs,
      wantAck: o.requestAck === true,
      relayFactor,
      signature: EMPTY,
    }
    const size = QueryCodec.encode(query).byteLength + SIGNATURE_BYTES + QUERY_FRAMING
    if (size > config.queryBudgetBytes) {
      throw new InvalidArgumentError(
        `query "${name}" would be ${size} bytes on the wire, over queryBudgetBytes (${config.queryBudgetBytes}): ` +
          'it could never be gossiped. Send a smaller payload or fewer filters.',
      )
    }
    if (this.seq >= 0xffff_ffff) throw new InvalidArgumentError('the query counter is exhausted; restart the node')
    return query
  }

  private defaultTimeout(): number {
    const { config } = this.ctx
    const ms = config.queryTimeoutMult * Math.ceil(Math.log10(this.ctx.clusterSize() + 1)) * config.gossipIntervalMs
    return Math.min(config.maxQueryTimeoutMs, Math.max(1, ms))
  }

  /** A verified query (ours or a member's): pass it on, and answer it when it is for us. */
  private accept(q: Query, filter: CompiledFilter): void {
    const { ctx } = this
    this.windows.mark(q)
    const timeoutMs = Math.min(q.timeoutMs, ctx.config.maxQueryTimeoutMs)
    this.gossip(q, timeoutMs)
    if (!matchesFilter(filter, ctx.selfId, this.host.tags)) return
    ctx.stats.queriesMatched++
    if (q.wantAck) this.respond(q, true, EMPTY)
    const handler = this.handlers.get(q.name) ?? this.handlers.get('*')
    if (handler === undefined) return
    if (this.running >= ctx.config.maxQueryHandlers) {
      ctx.stats.drops['query-limit']++
      return
    }
    this.run(handler, q, timeoutMs)
  }

  private gossip(q: Query, timeoutMs: number): void {
    const { ctx } = this
    const key = queryKey(q.origin, q.incarnation, q.seq)
    const size = QueryCodec.encode(q).byteLength
    if (size + QUERY_FRAMING > ctx.config.queryBudgetBytes) {
      ctx.stats.unsendable++
      return
    }
    if (this.expiring.size >= MAX_QUEUED_QUERIES) {
      ctx.stats.drops['query-limit']++
      return
    }
    this.queue.enqueue(key, q, size, [q.origin])
    this.expiring.set(
      key,
      ctx.clock.setTimeout(() => {
        this.expiring.delete(key)
        this.queue.remove(key)
      }, timeoutMs),
    )
  }

  /** Runs a handler, bounded by the query's deadline; its answer goes back to the origin. */
  private run(handler: QueryHandler, q: Query, timeoutMs: number): void {
    const { ctx } = this
    const controller = new AbortController()
    const timer = ctx.clock.setTimeout(() => controller.abort(), timeoutMs)
    this.running++
    const info: QueryInfo = Object.freeze({
      origin: q.origin,
      name: q.name,
      payload: q.payload.slice(),
      id: queryKey(q.origin, q.incarnation, q.seq),
      timeoutMs,
      signal: controller.signal,
    })
    const done = () => {
      this.running--
      ctx.clock.clearTimeout(timer)
    }
    let result: ReturnType<QueryHandler>
    try {
      result = handler(info)
    } catch (err) {
      done()
      ctx.log.error('query handler for "%s" threw: %s', q.name, (err as Error)?.message ?? err)
      return
    }
    const answer = (bytes: Uint8Array | undefined) => {
      if (bytes === undefined || controller.signal.aborted) return
      if (!(bytes instanceof Uint8Array) || bytes.byteLength > ctx.config.maxQueryResponseBytes) {
        ctx.stats.unsendable++
        ctx.log('query handler for "%s" answered more than maxQueryResponseBytes: not sent', q.name)
        return
      }
      this.respond(q, false, bytes)
    }
    if (!(result instanceof Promise)) {
      done()
      answer(result)
      return
    }
    result.then(
      (bytes) => {
        done()
        answer(bytes)
      },
      (err: unknown) => {
        done()
        ctx.log.error('query handler for "%s" failed: %s', q.name, (err as Error)?.message ?? err)
      },
    )
  }

  /** Our ack or answer: signed, to the origin, and through relayFactor random live members. */
  private respond(q: Query, ack: boolean, payload: Uint8Array): void {
    const { ctx } = this
    if (q.origin === ctx.selfId) {
      this.ours.local(q, ack, payload)
      return
    }
    const r: QueryResponse = {
      origin: q.origin,
      incarnation: q.incarnation,
      seq: q.seq,
      from: ctx.selfId,
      ack,
      payload: owned(payload.slice()),
      signature: EMPTY,
    }
    whenReady(
      () => ctx.signer.sign(responseSigningBytes(r, ctx.config.cluster)),
      (signature) => {
        const signed = { ...r, signature: owned(signature) }
        const origin = ctx.list.get(q.origin)
        if (origin === undefined) return
        ctx.stats.queryResponsesSent++
        this.host.send(origin, [signed])
        const relays = Math.min(q.relayFactor, MAX_RELAY_FACTOR)
        if (relays === 0) return
        for (const via of ctx.list.sample(relays, (m) => m.id !== q.origin && isLive(m.state))) {
          this.host.send(via, [signed])
        }
      },
      (err) => ctx.log.error('cannot sign a query response: %s', (err as Error)?.message ?? err),
    )
  }

  /**
   * Forwards another member's answer to its query's origin, once: only the answerer's own (it
   * sent it to us itself), only between live members, one packet out for one in.
   */
  private relay(r: QueryResponse, via: Via): void {
    const { ctx } = this
    const origin = ctx.list.get(r.origin)
    const from = ctx.list.get(r.from)
    if (
      via.from !== r.from ||
      origin === undefined ||
      !isLive(origin.state) ||
      from === undefined ||
      !isLive(from.state)
    ) {
      ctx.stats.drops['relay-refused']++
      return
    }
    if (!this.windows.relayOnce(r)) {
      ctx.stats.queryDuplicates++
      return
    }
    ctx.stats.queryRelays++
    this.host.send(origin, [r])
  }
}
