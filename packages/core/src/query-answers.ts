import type { TimerId } from './clock.ts'
import { type Query, type QueryResponse, responseSigningBytes } from './codec/index.ts'
import type { Context, Via } from './context.ts'
import type { QueryAnswer } from './query-stream.ts'
import { QueryStream } from './query-stream.ts'

interface InFlight {
  readonly stream: QueryStream
  /** Who answered, and who acked: each counts once. */
  readonly answered: Set<string>
  readonly acked: Set<string>
  readonly timer: TimerId
  readonly unlisten: () => void
}

/**
 * Our queries in flight and their answers: each answer is checked (a member's, signed by it,
 * for a query still open) and kept once per member, until the deadline on our clock, a cancel
 * or the caller's signal ends the query.
 */
export class QueryAnswers {
  private readonly open = new Map<string, InFlight>()

  constructor(private readonly ctx: Context) {}

  get size(): number {
    return this.open.size
  }

  /** Opens `q` (ours, seq set) until its deadline or `signal`; the stream its answers go to. */
  start(q: Query, signal: AbortSignal | undefined): QueryStream {
    const key = keyOf(q.incarnation, q.seq)
    const stream = new QueryStream(q.name, this.ctx.config.maxQueryAnswers, () => this.close(key))
    const timer = this.ctx.clock.setTimeout(() => this.close(key), q.timeoutMs)
    const onAbort = () => this.close(key)
    signal?.addEventListener('abort', onAbort, { once: true })
    this.open.set(key, {
      stream,
      answered: new Set(),
      acked: new Set(),
      timer,
      unlisten: () => signal?.removeEventListener('abort', onAbort),
    })
    return stream
  }

  /** `q` could not be sent (its signature failed): the caller's iterator throws `err`. */
  fail(q: Query, err: unknown): void {
    const key = keyOf(q.incarnation, q.seq)
    this.open.get(key)?.stream.end(err instanceof Error ? err : new Error(String(err)))
    this.close(key)
  }

  /** Our own answer or ack to our own query (no signature: it never left this node). */
  local(q: Query, ack: boolean, payload: Uint8Array): void {
    const entry = this.open.get(keyOf(q.incarnation, q.seq))
    if (entry !== undefined) this.add(entry, this.ctx.selfId, ack, payload)
  }

  /** An ack or answer from the network to a query of ours. */
  receive(r: QueryResponse, via: Via): Promise<void> | undefined {
    const { ctx } = this
    const key = keyOf(r.incarnation, r.seq)
    const entry = this.open.get(key)
    if (entry === undefined) {
      ctx.stats.drops['unknown-query']++ // late, cancelled, or never asked
      return undefined
    }
    if (r.from === ctx.selfId) {
      ctx.stats.drops['forged-origin']++ // our own answers never travel
      return undefined
    }
    if (ctx.list.get(r.from) === undefined) {
      ctx.stats.drops['unknown-member']++
      return undefined
    }
    if ((r.ack ? entry.acked : entry.answered).has(r.from)) {
      ctx.stats.queryDuplicates++ // checked before the signature: a repeat costs nothing
      return undefined
    }
    return ctx.verification.check(
      r.from,
      () => responseSigningBytes(r, ctx.config.cluster),
      r.signature,
      via,
      () => {
        if (this.open.get(key) === entry) this.add(entry, r.from, r.ack, r.payload)
      },
    )
  }

  /** Ends every query (the engine stopped). */
  endAll(): void {
    for (const key of [...this.open.keys()]) this.close(key)
  }

  private add(entry: InFlight, from: string, ack: boolean, payload: Uint8Array): void {
    const seen = ack ? entry.acked : entry.answered
    if (seen.has(from)) {
      this.ctx.stats.queryDuplicates++
      return
    }
    const answer: QueryAnswer = ack
      ? Object.freeze({ from, ack: true })
      : Object.freeze({ from, ack: false, payload: payload.slice() })
    if (!entry.stream.push(answer)) {
      this.ctx.stats.drops['query-limit']++ // maxQueryAnswers unread
      return
    }
    seen.add(from)
    this.ctx.stats.queryAnswers++
  }

  private close(key: string): void {
    const entry = this.open.get(key)
    if (entry === undefined) return
    this.open.delete(key)
    this.ctx.clock.clearTimeout(entry.timer)
    entry.unlisten()
    entry.stream.end()
  }
}

function keyOf(incarnation: number, seq: number): string {
  return `${incarnation}/${seq}`
}
