import type { QueryFilter } from './query-filter.ts'

/** Most answers a query may ask to be relayed through (Serf's relay factor is as small). */
export const MAX_RELAY_FACTOR = 5

/** How to ask: filters, timeout, acks and relays, cancellation. */
export interface QueryOptions {
  /** Which members should answer. @default every member */
  filter?: QueryFilter
  /** How long to wait for answers. @default queryTimeoutMult * ceil(log10(n + 1)) * gossipIntervalMs */
  timeoutMs?: number
  /** Matching members ack on receipt (answers `{ from, ack: true }`), before their handler runs. @default false */
  requestAck?: boolean
  /** Each answer also travels through this many random members (0 to 5), for lossy networks. @default 0 */
  relayFactor?: number
  /** Ends the query early. */
  signal?: AbortSignal
}

/** A query as a handler sees it. */
export interface QueryInfo {
  /** The member that asked. */
  readonly origin: string
  readonly name: string
  readonly payload: Uint8Array
  /** Unique in the cluster: `origin/incarnation/seq`. */
  readonly id: string
  /** Milliseconds left until the query's deadline when the handler was called. */
  readonly timeoutMs: number
  /** Aborts at the deadline; an answer given after it is not sent. */
  readonly signal: AbortSignal
}

/** Answers a query: the answer's bytes (at most maxQueryResponseBytes), or undefined for none. */
export type QueryHandler = (query: QueryInfo) => Uint8Array | undefined | Promise<Uint8Array | undefined>

/** One answer to a query: an answer with its payload, or (with requestAck) an ack of receipt. */
export type QueryAnswer =
  | { readonly from: string; readonly ack: false; readonly payload: Uint8Array }
  | { readonly from: string; readonly ack: true }

/**
 * A query in flight, as `Membership.query()` returns it: an async iterable of its answers (and
 * acks, when asked), each once, in arrival order. It ends at the query's deadline, on cancel(),
 * or when the caller's signal aborts; breaking out of a `for await` cancels it.
 */
export interface QueryResult extends AsyncIterable<QueryAnswer> {
  /** The query's name. */
  readonly name: string
  /** Ends the query now: answers arriving later are dropped (unknown-query). Idempotent. */
  cancel(): void
  /** Resolves when the query has ended (deadline, cancel or abort); rejects if it could not be sent. */
  readonly finished: Promise<void>
}

/**
 * The answers of one query, buffered (at most `max` unread) until the caller reads them. A
 * single reader is expected; a second iterator shares the same buffer.
 */
export class QueryStream implements QueryResult {
  private readonly buffer: QueryAnswer[] = []
  private waiting: { resolve: (r: IteratorResult<QueryAnswer>) => void; reject: (e: unknown) => void } | undefined
  private ended = false
  private error: unknown
  private resolveFinished!: () => void
  private rejectFinished!: (e: unknown) => void
  readonly finished: Promise<void>

  constructor(
    readonly name: string,
    private readonly max: number,
    private readonly onCancel: () => void = () => {},
  ) {
    this.finished = new Promise((resolve, reject) => {
      this.resolveFinished = resolve
      this.rejectFinished = reject
    })
    this.finished.catch(() => {}) // the iterator reports the error; nobody need await this
  }

  /** Is it still taking answers? */
  get open(): boolean {
    return !this.ended
  }

  /** Adds an answer; false (nothing kept) when ended or when `max` answers are unread. */
  push(answer: QueryAnswer): boolean {
    if (this.ended) return false
    const w = this.waiting
    if (w !== undefined) {
      this.waiting = undefined
      w.resolve({ value: answer, done: false })
      return true
    }
    if (this.buffer.length >= this.max) return false
    this.buffer.push(answer)
    return true
  }

  /** Ends the stream: unread answers can still be read, then the iterator is done (or throws `error`). */
  end(error?: unknown): void {
    if (this.ended) return
    this.ended = true
    this.error = error
    if (error === undefined) this.resolveFinished()
    else this.rejectFinished(error)
    const w = this.waiting
    this.waiting = undefined
    if (w === undefined) return
    if (error === undefined) w.resolve({ value: undefined, done: true })
    else w.reject(error)
  }

  cancel(): void {
    if (this.ended) return
    this.onCancel()
    this.end()
  }

  [Symbol.asyncIterator](): AsyncIterator<QueryAnswer> {
    return {
      next: () => {
        const value = this.buffer.shift()
        if (value !== undefined) return Promise.resolve({ value, done: false })
        if (this.ended) {
          return this.error === undefined
            ? Promise.resolve({ value: undefined, done: true })
            : Promise.reject(this.error)
        }
        return new Promise((resolve, reject) => {
          this.waiting = { resolve, reject }
        })
      },
      return: () => {
        this.cancel()
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
