import { reader as protonsReader } from 'protons-runtime'
import { DECODE_LIMITS, PROTOCOL_VERSION } from '../constants.ts'
import type { CodecLimits } from './index.ts'
import { Kind, Update, UserEvent } from './messages.ts'

/** Kind by wire value. */
const KINDS = [Kind.ALIVE, Kind.SUSPECT, Kind.DEAD, Kind.LEFT]

/** What decides whether a claim is news, read from its bytes without decoding the rest. */
export interface ClaimHeader {
  kind: Kind
  id: string
  incarnation: number
  /** Byte length of `from`. */
  fromBytes: number
  /** Whether `from` is the same string as `id` (and not empty). */
  fromIsId: boolean
  metadataBytes: number
  addrs: number
  /** Byte length of the longest address. */
  maxAddrBytes: number
}

/**
 * A push-pull state whose claims are decoded one at a time, on demand. A full state is mostly
 * claims the receiver already holds: reading their headers is enough to see that they are
 * stale, and skips the allocations of a full decode (the bulk of a large cluster's push-pull).
 */
export interface ScannedPushPull {
  join: boolean
  eventLtime: number
  events: UserEvent[]
  /** How many claims. */
  readonly count: number
  /** Claim i's header: the same object on every call, overwritten. */
  header(i: number): ClaimHeader
  /** Claim i, fully decoded: exactly what decodePushPull would have produced. */
  update(i: number): Update
}

/** A bounded read position; varint() and delimited() return -1 on anything irregular. */
class Cursor {
  pos = 0
  end = 0
  constructor(readonly buf: Uint8Array) {}

  at(pos: number, end: number): this {
    this.pos = pos
    this.end = end
    return this
  }

  /** A varint of at most 5 bytes, below 2^32. */
  varint(): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) return -1
      const b = this.buf[this.pos++]
      if (shift === 28 && b > 15) return -1
      value += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return value
    }
    return -1
  }

  /** Skips a length-delimited value, returning its length. */
  delimited(): number {
    const len = this.varint()
    if (len < 0 || this.pos + len > this.end) return -1
    this.pos += len
    return len
  }
}

/** Is the claim in [start, end) a plain, well-formed Update: known fields, wire types, bounds? */
function regularClaim(c: Cursor, start: number, end: number, maxAddrs: number): boolean {
  c.at(start, end)
  let seen = 0
  let addrs = 0
  while (c.pos < end) {
    const tag = c.varint()
    if (tag < 0) return false
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    const bit = 1 << field
    if (field === 1 || field === 3) {
      if (wire !== 0 || (seen & bit) !== 0) return false
      seen |= bit
      const v = c.varint()
      if (v < 0 || (field === 1 && v >= KINDS.length)) return false
    } else if (field === 2 || field === 4 || field === 6 || field === 7) {
      if (wire !== 2 || (seen & bit) !== 0) return false
      seen |= bit
      if (c.delimited() < 0) return false
    } else if (field === 5) {
      if (wire !== 2 || ++addrs > maxAddrs || c.delimited() < 0) return false
    } else return false
  }
  return true
}

/** Same bytes, all ASCII: surely the same string. */
function sameAscii(buf: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i] || buf[a + i] > 0x7f) return false
  return true
}

/**
 * Scans a push-pull state without decoding its claims. Returns undefined for anything but a
 * plain, well-formed message of our version within every limit: the caller then decodes it with
 * decodePushPull, which accepts or rejects it exactly as before. So this is only ever a faster
 * path to the same result.
 */
export function scanPushPull(bytes: Uint8Array, limits: CodecLimits): ScannedPushPull | undefined {
  if (bytes.byteLength > limits.maxSyncBytes) return undefined
  const c = new Cursor(bytes).at(0, bytes.byteLength)
  const claims: number[] = [] // start, end of each claim
  const eventSlices: number[] = []
  let version = -1
  let join = false
  let eventLtime = 0
  let seen = 0
  const claimCursor = new Cursor(bytes)
  while (c.pos < c.end) {
    const tag = c.varint()
    if (tag < 0) return undefined
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    if (field === 1 || field === 2 || field === 5) {
      const bit = 1 << field
      if (wire !== 0 || (seen & bit) !== 0) return undefined
      seen |= bit
      const v = c.varint()
      if (v < 0) return undefined
      if (field === 1) version = v
      else if (field === 2) join = v !== 0
      else eventLtime = v
    } else if (field === 3 || field === 4) {
      if (wire !== 2) return undefined
      const len = c.varint()
      if (len < 0 || c.pos + len > c.end) return undefined
      const list = field === 3 ? claims : eventSlices
      list.push(c.pos, c.pos + len)
      c.pos += len
      if (field === 3) {
        if (claims.length / 2 > DECODE_LIMITS.updatesPerSync) return undefined
        if (!regularClaim(claimCursor, c.pos - len, c.pos, limits.maxAddrsPerMember)) return undefined
      } else if (eventSlices.length / 2 > DECODE_LIMITS.eventsPerSync) return undefined
    } else return undefined
  }
  if (version !== PROTOCOL_VERSION) return undefined
  const events: UserEvent[] = []
  try {
    for (let i = 0; i < eventSlices.length; i += 2) {
      events.push(UserEvent.decode(bytes.subarray(eventSlices[i], eventSlices[i + 1])))
    }
  } catch {
    return undefined
  }
  const strings = protonsReader(bytes)
  const h: ClaimHeader = {
    kind: Kind.ALIVE,
    id: '',
    incarnation: 0,
    fromBytes: 0,
    fromIsId: false,
    metadataBytes: 0,
    addrs: 0,
    maxAddrBytes: 0,
  }
  return {
    join,
    eventLtime,
    events,
    count: claims.length / 2,
    header(i: number): ClaimHeader {
      const r = claimCursor.at(claims[2 * i], claims[2 * i + 1])
      h.kind = Kind.ALIVE
      h.incarnation = 0
      h.metadataBytes = 0
      h.addrs = 0
      h.maxAddrBytes = 0
      let idAt = -1 // where the id's length prefix starts
      let idData = 0
      let idLen = 0
      let fromAt = -1
      let fromData = 0
      let fromLen = 0
      while (r.pos < r.end) {
        const field = Math.floor(r.varint() / 8) // a regular claim: every read below succeeds
        if (field === 1) h.kind = KINDS[r.varint()]
        else if (field === 3) h.incarnation = r.varint()
        else {
          const at = r.pos
          const len = r.delimited()
          const data = r.pos - len
          if (field === 2) {
            idAt = at
            idData = data
            idLen = len
          } else if (field === 4) {
            fromAt = at
            fromData = data
            fromLen = len
          } else if (field === 5) {
            h.addrs++
            h.maxAddrBytes = Math.max(h.maxAddrBytes, len)
          } else if (field === 6) h.metadataBytes = len
        }
      }
      if (idAt < 0) h.id = ''
      else {
        strings.pos = idAt // decoded by protons' own reader, so the string is the one it would give
        h.id = strings.string()
      }
      h.fromBytes = fromLen
      if (idLen === 0 || fromLen === 0) h.fromIsId = false
      else if (fromLen === idLen && sameAscii(bytes, idData, fromData, idLen)) h.fromIsId = true
      else {
        strings.pos = fromAt
        h.fromIsId = strings.string() === h.id
      }
      return h
    },
    update(i: number): Update {
      return Update.decode(bytes.subarray(claims[2 * i], claims[2 * i + 1]), {
        limits: { addrs: limits.maxAddrsPerMember },
      })
    },
  }
}
