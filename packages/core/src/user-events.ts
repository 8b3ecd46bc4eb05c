import { eventSigningBytes, eventSize, owned, type UserEvent } from './codec/index.ts'
import { type Context, whenReady } from './context.ts'
import { TransmitLimitedQueue } from './dissemination.ts'
import { InvalidArgumentError } from './errors.ts'
import type { UserEventInfo } from './events.ts'
import { unsigned } from './transport.ts'

const EMPTY = new Uint8Array(0)
const MAX_NAME = 128

/**
 * Named application events spread by the same gossip as membership, in their own queue and
 * byte budget. Each carries its origin's Lamport time; (origin, ltime, name) identifies it, so
 * every node delivers it once. Events too old for the dedup window are dropped as stale.
 */
export class UserEvents {
  /** Lamport clock: above every ltime seen. */
  private ltime = 0
  /** Events older than this are ignored (set on join: no replay of history, like Serf). */
  private minLtime = 0
  /** Recently seen events, oldest first, for dedup and anti-entropy. */
  private readonly seen = new Map<string, UserEvent>()
  readonly queue: TransmitLimitedQueue<UserEvent>

  constructor(
    private readonly ctx: Context,
    private readonly deliver: (e: UserEventInfo) => void,
    limit: () => number,
    onFill?: () => void,
  ) {
    this.queue = new TransmitLimitedQueue(limit, onFill)
  }

  get clock(): number {
    return this.ltime
  }

  /** Starts a new event from us. Throws InvalidArgumentError on a bad name or payload size. */
  broadcast(name: string, payload: Uint8Array): Promise<void> {
    const { ctx } = this
    if (name.length === 0 || name.length > MAX_NAME) {
      throw new InvalidArgumentError(`event name must be 1 to ${MAX_NAME} characters`)
    }
    if (payload.byteLength > ctx.config.maxUserEventBytes) {
      throw new InvalidArgumentError(
        `event payload is ${payload.byteLength} bytes; maxUserEventBytes is ${ctx.config.maxUserEventBytes}`,
      )
    }
    const event: UserEvent = {
      origin: ctx.selfId,
      ltime: ++this.ltime,
      name,
      payload: owned(payload),
      signature: EMPTY,
    }
    return new Promise((resolve, reject) => {
      whenReady(
        () => ctx.signer.sign(eventSigningBytes(event)),
        (signature) => {
          this.accept({ ...event, signature: owned(signature) })
          resolve()
        },
        reject,
      )
    })
  }

  /** An event from the network; returns a promise only while an asynchronous signature check is pending. */
  receive(e: UserEvent): Promise<void> | undefined {
    const { ctx } = this
    if (e.origin === '' || e.name === '' || e.name.length > MAX_NAME || e.origin.length > 256) {
      ctx.stats.drops['invalid-claim']++
      return undefined
    }
    if (e.payload.byteLength > ctx.config.maxUserEventBytes) {
      ctx.stats.drops['too-large']++
      return undefined
    }
    if (this.seen.has(key(e)) || e.ltime < this.minLtime || e.ltime + ctx.config.userEventBufferSize < this.ltime) {
      ctx.stats.updatesStale++
      return undefined
    }
    if (ctx.verifier === unsigned) {
      this.accept(e) // accepts everything: skip encoding the signed bytes
      return undefined
    }
    const fail = () => void ctx.stats.drops['bad-signature']++
    return whenReady(
      () => ctx.verifier.verify(e.origin, eventSigningBytes(e), e.signature),
      (ok) => (ok ? this.accept(e) : fail()),
      fail,
    )
  }

  /** Joining: ignore events from before `ltime` (they are history, not news). */
  skipHistory(ltime: number): void {
    this.minLtime = Math.max(this.minLtime, ltime + 1)
    this.ltime = Math.max(this.ltime, ltime)
  }

  /** Witness a remote Lamport time (push-pull). */
  witness(ltime: number): void {
    this.ltime = Math.max(this.ltime, ltime)
  }

  /** The most recent events, for anti-entropy. */
  recent(max: number): UserEvent[] {
    const all = [...this.seen.values()]
    return all.slice(Math.max(0, all.length - max))
  }

  private accept(e: UserEvent): void {
    const k = key(e)
    if (this.seen.has(k)) return
    this.seen.set(k, e)
    while (this.seen.size > this.ctx.config.userEventBufferSize) {
      this.seen.delete(this.seen.keys().next().value!)
    }
    this.ltime = Math.max(this.ltime, e.ltime)
    this.ctx.stats.userEvents++
    this.queue.enqueue(k, e, eventSize(e))
    this.deliver(Object.freeze({ origin: e.origin, name: e.name, payload: e.payload.slice(), ltime: e.ltime }))
  }
}

function key(e: UserEvent): string {
  return `${e.origin}\u0000${e.ltime}\u0000${e.name}`
}
