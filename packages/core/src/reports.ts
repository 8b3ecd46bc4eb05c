import { CLAIM_LIMITS } from './claim-limits.ts'
import type { TimerId } from './clock.ts'
import { decodeReportRequest, encodeReportRequest } from './codec/index.ts'
import type { Context } from './context.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import { randomInt } from './random.ts'
import { KeyedRateLimit } from './rate-limit.ts'
import type { Peer, Transport } from './transport.ts'

/** Computes a report's 32-byte digest. The libp2p service injects SHA-256. */
export type Hasher = (bytes: Uint8Array) => Uint8Array

/** Report fetches in flight to one member at once. */
export const MAX_REPORT_FETCHES_PER_PEER = 2
/** A failed fetch's wait grows to this many times reportRetryMs at most. */
const MAX_BACKOFF_MULT = 32
/** A member that served a body not matching its digest is not asked for this many times reportRetryMs. */
const BAD_PEER_MULT = 60
/** Members remembered as having served a bad body (oldest forgotten first). */
const MAX_BAD_PEERS = 1024

/**
 * The default hasher: deterministic and dependency-free, for simulations and trusted networks,
 * but NOT cryptographic (eight FNV-1a lanes): a member could craft a body with the digest of
 * another. The libp2p service injects SHA-256; so should any deployment with untrusted members.
 */
export function fnvDigest(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const lanes = new Uint32Array(8)
  for (let l = 0; l < 8; l++) lanes[l] = (0x811c9dc5 ^ Math.imul(l + 1, 0x9e3779b1)) >>> 0
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    const l = i & 7
    lanes[l] = Math.imul(lanes[l] ^ b, 0x01000193)
  }
  for (let l = 0; l < 8; l++) lanes[l] = Math.imul(lanes[l] ^ lanes[(l + 1) & 7] ^ bytes.length, 0x01000193)
  return new Uint8Array(lanes.buffer)
}

interface Want {
  digest: Uint8Array
  size: number
  attempts: number
  /** Members asked for this body already (owner first). */
  tried: Set<string>
  inFlight: boolean
  /** When it was first wanted (clock ms), for the latency figure. */
  since: number
}

interface Cached {
  digest: Uint8Array
  body: Uint8Array
}

/**
 * Reports: metadata too large to gossip (up to maxReportBytes). A member's signed alive claim
 * carries its report's digest and size; the others fetch the body on demand (Transport.fetch),
 * from the member itself first, else from random live members (any that holds it answers),
 * check it against the digest its owner signed, cache it, and emit member:update. Everything is
 * bounded: the body's size (the claim's, at most maxReportBytes, and the transport's frame), the
 * bodies held (reportCacheBytes, least recently used evicted and counted), fetches in flight
 * (maxReportFetches, MAX_REPORT_FETCHES_PER_PEER per member), retries (backing off, each to
 * another member), bodies served to each member (maxReportServesPerPeerPerSecond). A body that
 * does not match its digest is dropped and counted, and its server is not asked again for a while.
 */
export class Reports {
  /** Bodies held, by member id; least recently used first. */
  private readonly cache = new Map<string, Cached>()
  private cachedBytes = 0
  private readonly wants = new Map<string, Want>()
  private inFlight = 0
  private readonly perPeer = new Map<string, number>()
  private readonly badPeers = new Map<string, number>()
  private readonly serves: KeyedRateLimit
  private timer: TimerId
  private timerAt = Number.POSITIVE_INFINITY
  private running = false
  /** How long each report took to arrive after its claim did (ms), for tests and the simulator. */
  onFetched?: (id: string, latencyMs: number) => void

  constructor(
    private readonly ctx: Context,
    private readonly transport: Transport,
    readonly hash: Hasher,
    /** A member's report arrived: emit member:update for it. */
    private readonly arrived: (r: MemberRecord) => void,
  ) {
    this.serves = new KeyedRateLimit(() => ctx.config.maxReportServesPerPeerPerSecond)
  }

  start(): void {
    this.running = true
    this.pump()
  }

  stop(): void {
    this.running = false
    this.ctx.clock.clearTimeout(this.timer)
    this.timerAt = Number.POSITIVE_INFINITY
  }

  /** Keeps our own report (served to others); it is never evicted. */
  setOwn(digest: Uint8Array, body: Uint8Array): void {
    this.put(this.ctx.selfId, { digest, body })
  }

  clearOwn(): void {
    this.drop(this.ctx.selfId)
  }

  /** The body of `id`'s report matching `digest`, when held. */
  body(id: string, digest: Uint8Array | undefined): Uint8Array | undefined {
    if (digest === undefined) return undefined
    const c = this.cache.get(id)
    return c !== undefined && sameBytes(c.digest, digest) ? c.body : undefined
  }

  /** A member's alive claim was applied: fetch its report if we do not hold that one. */
  claimed(r: MemberRecord): void {
    const digest = r.aliveClaim.reportDigest
    const size = r.aliveClaim.reportSize
    if (digest === undefined || size === undefined) {
      this.wants.delete(r.id)
      this.drop(r.id)
      return
    }
    if (this.body(r.id, digest) !== undefined) return
    const want = this.wants.get(r.id)
    if (want !== undefined && sameBytes(want.digest, digest)) return
    if (this.transport.fetch === undefined) return
    this.wants.set(r.id, { digest, size, attempts: 0, tried: new Set(), inFlight: false, since: this.ctx.clock.now() })
    this.pump()
  }

  /** A member was reaped: its report goes too. */
  forget(id: string): void {
    this.wants.delete(id)
    this.drop(id)
  }

  /** A report request from `from`: the body, or no bytes. Throws (refusing it) for strangers and past the rate. */
  serve(from: string, bytes: Uint8Array): Uint8Array {
    const { ctx } = this
    const member = ctx.list.get(from)
    if (member === undefined || !isLive(member.state)) {
      ctx.stats.drops['untrusted-accuser']++
      throw new Error('report requests are served to live members only')
    }
    if (!this.serves.take(from, ctx.clock.now())) {
      ctx.stats.drops['report-limit']++
      throw new Error('too many report requests')
    }
    let req: { id: string; digest: Uint8Array }
    try {
      req = decodeReportRequest(bytes)
    } catch {
      ctx.stats.drops.malformed++
      throw new Error('malformed report request')
    }
    const c = this.cache.get(req.id)
    if (c === undefined || !sameBytes(c.digest, req.digest)) return EMPTY
    this.touch(req.id, c)
    ctx.stats.reportsServed++
    ctx.stats.reportBytesServed += c.body.byteLength
    return c.body
  }

  /** Reports held now, and their bytes. */
  get held(): { count: number; bytes: number; wanted: number } {
    return { count: this.cache.size, bytes: this.cachedBytes, wanted: this.wants.size }
  }

  /** Starts the fetches that are due and fit the bounds; schedules the next look. */
  private pump(): void {
    const { ctx } = this
    if (!this.running) return
    const now = ctx.clock.now()
    let next = Number.POSITIVE_INFINITY
    for (const [id, want] of this.wants) {
      if (this.inFlight >= ctx.config.maxReportFetches) break
      if (want.inFlight) continue
      const due = want.since + this.backoff(want.attempts)
      if (want.attempts > 0 && due > now) {
        next = Math.min(next, due)
        continue
      }
      const peer = this.source(id, want, now)
      if (peer === undefined) {
        next = Math.min(next, now + ctx.config.reportRetryMs)
        continue
      }
      this.fetch(id, want, peer)
    }
    if (next < this.timerAt) {
      ctx.clock.clearTimeout(this.timer)
      this.timerAt = next
      this.timer = ctx.clock.setTimeout(() => {
        this.timerAt = Number.POSITIVE_INFINITY
        this.pump()
      }, next - now)
    }
  }

  /** Wait after `attempts` failures, from when the report was first wanted. */
  private backoff(attempts: number): number {
    if (attempts === 0) return 0
    const retry = this.ctx.config.reportRetryMs
    let total = 0
    for (let i = 0; i < attempts; i++) total += retry * Math.min(MAX_BACKOFF_MULT, 2 ** i)
    return total
  }

  /** Whom to ask: the owner first, then random live members not asked yet, none busy or bad. */
  private source(id: string, want: Want, now: number): Peer | undefined {
    const { ctx } = this
    const usable = (r: MemberRecord) =>
      isLive(r.state) &&
      (this.perPeer.get(r.id) ?? 0) < MAX_REPORT_FETCHES_PER_PEER &&
      (this.badPeers.get(r.id) ?? 0) <= now
    const owner = ctx.list.get(id)
    if (owner !== undefined && !want.tried.has(id) && usable(owner)) return owner
    const [r] = ctx.list.sample(1, (m) => m.id !== id && !want.tried.has(m.id) && usable(m))
    if (r !== undefined) return r
    // everyone was asked: start over (a member may have fetched it meanwhile)
    if (want.tried.size > 0 && randomInt(ctx.random, 4) === 0) want.tried.clear()
    return undefined
  }

  private fetch(id: string, want: Want, peer: Peer): void {
    const { ctx } = this
    want.inFlight = true
    want.tried.add(peer.id)
    this.inFlight++
    this.perPeer.set(peer.id, (this.perPeer.get(peer.id) ?? 0) + 1)
    ctx.stats.reportFetches++
    const controller = new AbortController()
    const timeout = ctx.clock.setTimeout(
      () => controller.abort(new Error('report fetch timed out')),
      ctx.config.requestTimeoutMs,
    )
    const done = () => {
      ctx.clock.clearTimeout(timeout)
      want.inFlight = false
      this.inFlight--
      const n = (this.perPeer.get(peer.id) ?? 1) - 1
      if (n === 0) this.perPeer.delete(peer.id)
      else this.perPeer.set(peer.id, n)
    }
    const request = encodeReportRequest({ id, digest: want.digest })
    Promise.resolve()
      .then(() => this.transport.fetch!(peer, request, { signal: controller.signal, maxBytes: want.size }))
      .then(
        (body) => {
          done()
          this.received(id, want, peer.id, body)
          this.pump()
        },
        () => {
          done()
          this.failed(want)
          this.pump()
        },
      )
  }

  private received(id: string, want: Want, from: string, body: Uint8Array): void {
    const { ctx } = this
    if (this.wants.get(id) !== want) return // superseded or forgotten meanwhile
    if (body.byteLength === 0) {
      this.failed(want) // that member does not hold it
      return
    }
    ctx.stats.reportBytesFetched += body.byteLength
    if (body.byteLength !== want.size || !sameBytes(this.hash(body), want.digest)) {
      ctx.stats.drops['report-digest']++
      ctx.log('report of %s from %s does not match its digest: dropped', id, from)
      this.badPeers.delete(from)
      this.badPeers.set(from, ctx.clock.now() + BAD_PEER_MULT * ctx.config.reportRetryMs)
      while (this.badPeers.size > MAX_BAD_PEERS) this.badPeers.delete(this.badPeers.keys().next().value!)
      this.failed(want)
      return
    }
    this.wants.delete(id)
    ctx.stats.reportsFetched++
    const owned = body.buffer.byteLength > body.byteLength ? body.slice() : body
    this.put(id, { digest: want.digest, body: owned })
    this.onFetched?.(id, ctx.clock.now() - want.since)
    const r = ctx.list.get(id)
    if (r !== undefined && sameBytes(r.aliveClaim.reportDigest ?? EMPTY, want.digest)) this.arrived(r)
  }

  private failed(want: Want): void {
    this.ctx.stats.reportFetchFailures++
    want.attempts++
  }

  private put(id: string, c: Cached): void {
    this.drop(id)
    this.cache.set(id, c)
    this.cachedBytes += c.body.byteLength
    const max = this.ctx.config.reportCacheBytes
    for (const [old, _o] of this.cache) {
      if (this.cachedBytes <= max) break
      if (old === this.ctx.selfId || old === id) continue
      this.drop(old)
      this.ctx.stats.reportEvictions++
    }
  }

  private touch(id: string, c: Cached): void {
    this.cache.delete(id)
    this.cache.set(id, c)
  }

  private drop(id: string): void {
    const c = this.cache.get(id)
    if (c === undefined) return
    this.cache.delete(id)
    this.cachedBytes -= c.body.byteLength
  }
}

const EMPTY = new Uint8Array(0)

/** Is `d` a well-formed digest? */
export function validDigest(d: Uint8Array): boolean {
  return d.byteLength === CLAIM_LIMITS.reportDigestBytes
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
