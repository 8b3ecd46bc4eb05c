import { CLAIM_LIMITS } from './claim-limits.ts'
import { eventSigningBytes, eventSize, owned, type UserEvent, unpin } from './codec/index.ts'
import { MAX_LTIME, MAX_LTIME_JUMP } from './constants.ts'
import { type Context, type Via, whenReady } from './context.ts'
import { TransmitLimitedQueue } from './dissemination.ts'
import { InvalidArgumentError } from './errors.ts'
import type { UserEventInfo } from './events.ts'

const EMPTY = new Uint8Array(0)
const MAX_NAME = 128
/** An event's tag and length prefix inside a packet, at most. */
const EVENT_FRAMING = 3
/** A signature's bytes and their framing, for sizing an event before it is signed. */
const SIGNATURE_BYTES = 66

/**
 * Named application events spread by the same gossip as membership, in their own queue and
 * byte budget. Each carries its origin's Lamport time; (origin, ltime, name) identifies it, so
 * every node delivers it once. Events too old for the dedup window are dropped as stale.
 * Lamport times come only from verified events of members (never from an unsigned field), and one
 * event may not move the clock more than MAX_LTIME_JUMP ahead; nor does the clock ever wrap.
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
    this.queue = new TransmitLimitedQueue(limit, onFill, (have) => ctx.list.allLiveIn(have))
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
    if (this.ltime >= MAX_LTIME) {
      throw new InvalidArgumentError(`the Lamport clock is at ${MAX_LTIME}, the largest an event can carry`)
    }
    const event: UserEvent = {
      origin: ctx.selfId,
      ltime: this.ltime + 1,
      name,
      payload: owned(payload),
      signature: EMPTY,
    }
    const size = eventSize(event) + SIGNATURE_BYTES + EVENT_FRAMING
    if (size > ctx.config.userEventBudgetBytes) {
      throw new InvalidArgumentError(
        `event "${name}" would be ${size} bytes on the wire, over userEventBudgetBytes (${ctx.config.userEventBudgetBytes}): ` +
          'it could never be gossiped. Send a smaller payload (or raise userEventBudgetBytes on every member).',
      )
    }
    this.ltime++
    return new Promise((resolve, reject) => {
      whenReady(
        () => ctx.signer.sign(eventSigningBytes(event, ctx.config.cluster)),
        (signature) => {
          this.accept({ ...event, signature: owned(signature) }, false)
          resolve()
        },
        reject,
      )
    })
  }

  /**
   * An event from the network; returns a promise only while an asynchronous signature check is
   * pending. `history` (the answer to our join): remembered and counted in our clock, but not
   * delivered, and nothing older is delivered later (no replay of history, like Serf).
   */
  receive(e: UserEvent, via: Via, history = false): Promise<void> | undefined {
    const { ctx } = this
    if (e.origin === '' || e.name === '' || e.name.length > MAX_NAME || e.origin.length > CLAIM_LIMITS.maxIdChars) {
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
    if (e.origin !== ctx.selfId && ctx.list.get(e.origin) === undefined) {
      ctx.stats.drops['unknown-member']++ // only members' events count (and move our clock)
      return undefined
    }
    if (!history && e.ltime > this.ltime + MAX_LTIME_JUMP) {
      ctx.stats.drops['ltime-jump']++
      return undefined
    }
    const cluster = ctx.config.cluster
    return ctx.verification.check(
      e.origin,
      () => eventSigningBytes(e, cluster),
      e.signature,
      via,
      () => this.accept(e, history),
    )
  }

  /** The most recent events, for anti-entropy. */
  recent(max: number): UserEvent[] {
    const all = [...this.seen.values()]
    return all.slice(Math.max(0, all.length - max))
  }

  private accept(e: UserEvent, history: boolean): void {
    const k = key(e)
    if (this.seen.has(k)) return
    unpin(e) // remembered: it must not hold the whole message it came in
    this.seen.set(k, e)
    while (this.seen.size > this.ctx.config.userEventBufferSize) {
      this.seen.delete(this.seen.keys().next().value!)
    }
    this.ltime = Math.max(this.ltime, e.ltime)
    if (history) {
      this.minLtime = Math.max(this.minLtime, e.ltime + 1)
      return
    }
    this.ctx.stats.userEvents++
    const size = eventSize(e)
    if (size + EVENT_FRAMING > this.ctx.config.userEventBudgetBytes) this.ctx.stats.unsendable++
    else this.queue.enqueue(k, e, size, [e.origin])
    this.deliver(Object.freeze({ origin: e.origin, name: e.name, payload: e.payload.slice(), ltime: e.ltime }))
  }
}

function key(e: UserEvent): string {
  return `${e.origin}\u0000${e.ltime}\u0000${e.name}`
}
