import { reader as protonsReader } from 'protons-runtime'
import { DECODE_LIMITS, PROTOCOL_VERSION, QUERY_DECODE_LIMITS } from '../constants.ts'
import { knownEncoding } from './cache.ts'
import { FIELDS } from './fields.ts'
import type { CodecLimits } from './index.ts'
import { Ack, Kind, Nack, Ping, PingReq, Query, QueryResponse, Update, UserEvent } from './messages.ts'

const NO_BYTES = Object.freeze(new Uint8Array(0)) as Uint8Array<ArrayBuffer>

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
  /** Byte length of the report digest (0: none). */
  reportDigestBytes: number
  /** The report's announced size (0: none). */
  reportSize: number
}

/**
 * The claims of a scanned message, visited in order and decoded on demand. Most claims a node
 * receives (piggybacked again and again, or in a full state) are ones it already holds: their
 * header is enough to see that they are stale, and skips the allocations of a full decode.
 */
export interface ScannedClaims {
  /** How many claims. */
  readonly count: number
  /** Moves to the next claim; false after the last one. */
  next(): boolean
  /** The current claim's header: the same object on every call, overwritten. */
  header(): ClaimHeader
  /** The current claim, fully decoded: exactly what the full decoder would have produced. */
  update(): Update
}

/** A push-pull state with its claims left undecoded. */
export interface ScannedPushPull {
  join: boolean
  eventLtime: number
  mode: number
  digestLo: number
  digestHi: number
  events: UserEvent[]
  claims: ScannedClaims
}

/** A packet with its claims left undecoded. */
export interface ScannedPacket {
  ping?: Ping
  ack?: Ack
  nack?: Nack
  pingReq?: PingReq
  events: UserEvent[]
  queries: Query[]
  responses: QueryResponse[]
  claims: ScannedClaims
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

const U = FIELDS.Update

const IRREGULAR = 0
const REGULAR = 1
/** Regular, and exactly the bytes Update.encode would write for the decoded claim. */
const CANONICAL = 2

/**
 * Is the claim in [start, end) a plain, well-formed Update: known fields, wire types, bounds?
 * And is it canonical: fields in order, no default value written, minimal varints, ASCII
 * strings (which decode and encode back to the same bytes)?
 */
function classifyClaim(c: Cursor, start: number, end: number, maxAddrs: number): number {
  c.at(start, end)
  let seen = 0
  let addrs = 0
  let last = 0
  let canonical = true
  while (c.pos < end) {
    const at = c.pos
    const tag = c.varint()
    if (tag < 0) return IRREGULAR
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    const bit = 1 << field
    if (field < last || (field === last && field !== U.addrs) || c.pos - at !== 1) canonical = false
    last = field
    if (field === U.kind || field === U.incarnation || field === U.reportSize) {
      if (wire !== 0 || (seen & bit) !== 0) return IRREGULAR
      seen |= bit
      const from = c.pos
      const v = c.varint()
      if (v < 0 || (field === U.kind && v >= KINDS.length)) return IRREGULAR
      // protons writes an optional field (report_size) even at 0, a plain one never
      if ((v === 0 && field !== U.reportSize) || !minimal(c, from)) canonical = false
    } else if (DELIMITED_CLAIM_FIELDS.has(field)) {
      if (wire !== 2) return IRREGULAR
      if (field === U.addrs) {
        if (++addrs > maxAddrs) return IRREGULAR
      } else if ((seen & bit) !== 0) return IRREGULAR
      seen |= bit
      const from = c.pos
      const len = c.delimited()
      if (len < 0) return IRREGULAR
      const data = c.pos - len
      if (!minimalLength(c.buf, from, data)) canonical = false
      // protons writes no empty string or bytes, but an empty address (or optional report digest)
      if (len === 0 && field !== U.addrs && field !== U.reportDigest) canonical = false
      if (field !== U.metadata && field !== U.signature && field !== U.reportDigest && !ascii(c.buf, data, c.pos)) {
        canonical = false
      }
    } else return IRREGULAR
  }
  return canonical ? CANONICAL : REGULAR
}

/** The claim's length-delimited fields: strings and bytes. */
const DELIMITED_CLAIM_FIELDS = new Set<number>([U.id, U.from, U.addrs, U.metadata, U.signature, U.reportDigest])

/** Was the varint that ended at c.pos, started at `from`, written in as few bytes as possible? */
function minimal(c: Cursor, from: number): boolean {
  return c.pos - from === 1 || c.buf[c.pos - 1] !== 0
}

function minimalLength(buf: Uint8Array, from: number, data: number): boolean {
  return data - from === 1 || buf[data - 1] !== 0
}

function ascii(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] > 0x7f) return false
  return true
}

/**
 * ASCII ids seen lately, by a hash of their bytes. Decoding the same few thousand ids over and
 * over is most of what reading claim headers allocates; a hit is checked character by character,
 * so the string is exactly the one the decoder would make.
 */
const ids = new Map<number, string>()
const MAX_IDS = 100_000

function internedAscii(buf: Uint8Array, from: number, len: number): string | undefined {
  let hash = 0x811c9dc5 ^ len
  for (let i = 0; i < len; i++) {
    const b = buf[from + i]
    if (b > 0x7f) return undefined
    hash = Math.imul(hash ^ b, 0x01000193)
  }
  const known = ids.get(hash)
  if (known !== undefined && known.length === len) {
    let same = true
    for (let i = 0; i < len && same; i++) same = known.charCodeAt(i) === buf[from + i]
    if (same) return known
  }
  if (ids.size >= MAX_IDS) ids.clear()
  const decoded = String.fromCharCode.apply(null, buf.subarray(from, from + len) as unknown as number[])
  ids.set(hash, decoded)
  return decoded
}

/** Same bytes, all ASCII: surely the same string. */
function sameAscii(buf: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i] || buf[a + i] > 0x7f) return false
  return true
}

class Claims implements ScannedClaims {
  private readonly cursor: Cursor
  private readonly strings: ReturnType<typeof protonsReader>
  private readonly h: ClaimHeader = {
    kind: Kind.ALIVE,
    id: '',
    incarnation: 0,
    fromBytes: 0,
    fromIsId: false,
    metadataBytes: 0,
    addrs: 0,
    maxAddrBytes: 0,
    reportDigestBytes: 0,
    reportSize: 0,
  }

  /** Where the walk over the whole message is, and the current claim's bounds. */
  private readonly walk: Cursor
  private start = 0
  private end = 0

  constructor(
    private readonly bytes: Uint8Array,
    readonly count: number,
    /** The field number of the claims in their message. */
    private readonly field: number,
    private readonly maxAddrs: number,
  ) {
    this.cursor = new Cursor(bytes)
    this.walk = new Cursor(bytes).at(0, bytes.byteLength)
    this.strings = protonsReader(bytes)
  }

  next(): boolean {
    const w = this.walk
    while (w.pos < w.end) {
      const tag = w.varint() // the message was checked by scanTop: every read below succeeds
      if ((tag & 7) === 0) {
        w.varint()
        continue
      }
      const len = w.varint()
      w.pos += len
      if (Math.floor(tag / 8) === this.field) {
        this.start = w.pos - len
        this.end = w.pos
        return true
      }
    }
    return false
  }

  header(): ClaimHeader {
    const { h, bytes } = this
    const r = this.cursor.at(this.start, this.end)
    h.kind = Kind.ALIVE
    h.incarnation = 0
    h.metadataBytes = 0
    h.addrs = 0
    h.maxAddrBytes = 0
    h.reportDigestBytes = 0
    h.reportSize = 0
    let idAt = -1 // where the id's length prefix starts
    let idData = 0
    let idLen = 0
    let fromAt = -1
    let fromData = 0
    let fromLen = 0
    while (r.pos < r.end) {
      const field = Math.floor(r.varint() / 8) // a regular claim: every read below succeeds
      if (field === U.kind) h.kind = KINDS[r.varint()]
      else if (field === U.incarnation) h.incarnation = r.varint()
      else if (field === U.reportSize) h.reportSize = r.varint()
      else {
        const at = r.pos
        const len = r.delimited()
        const data = r.pos - len
        if (field === U.id) {
          idAt = at
          idData = data
          idLen = len
        } else if (field === U.from) {
          fromAt = at
          fromData = data
          fromLen = len
        } else if (field === U.addrs) {
          h.addrs++
          h.maxAddrBytes = Math.max(h.maxAddrBytes, len)
        } else if (field === U.metadata) h.metadataBytes = len
        else if (field === U.reportDigest) h.reportDigestBytes = len
      }
    }
    if (idAt < 0) h.id = ''
    else {
      const known = internedAscii(bytes, idData, idLen)
      if (known !== undefined) h.id = known
      else {
        this.strings.pos = idAt // decoded by protons' own reader, so the string is the one it would give
        h.id = this.strings.string()
      }
    }
    h.fromBytes = fromLen
    if (idLen === 0 || fromLen === 0) h.fromIsId = false
    else if (fromLen === idLen && sameAscii(bytes, idData, fromData, idLen)) h.fromIsId = true
    else {
      this.strings.pos = fromAt
      h.fromIsId = this.strings.string() === h.id
    }
    return h
  }

  update(): Update {
    const bytes = this.bytes.subarray(this.start, this.end)
    const u = Update.decode(bytes, { limits: { addrs: this.maxAddrs } })
    // one shared empty array instead of two fresh ones per claim: a member table keeps a claim
    // per member, and most carry no metadata (and, unsigned, no signature)
    if (u.metadata.byteLength === 0) u.metadata = NO_BYTES
    if (u.signature.byteLength === 0) u.signature = NO_BYTES
    if (classifyClaim(this.cursor, this.start, this.end, this.maxAddrs) === CANONICAL) {
      knownEncoding(u, bytes) // no need to encode it again to forward it
    }
    return u
  }
}

/** How a top-level field is read: a varint, a sub-message (at most once), claims, events, queries or responses. */
type Layout = 'varint' | 'message' | 'claims' | 'events' | 'queries' | 'responses'

interface TopLevel {
  /** By field number: the varint's value, or [start, end) of the sub-message; -1 when absent. */
  values: Float64Array
  ends: Float64Array
  claims: number
  events: number[]
  queries: number[]
  responses: number[]
}

/** A message without claims (most probe packets): nothing to visit. */
const NO_CLAIMS: ScannedClaims = {
  count: 0,
  next: () => false,
  header: () => {
    throw new Error('no claim')
  },
  update: () => {
    throw new Error('no claim')
  },
}

/** The scratch of the strict first pass, which is always consumed before scanTop is called again. */
const scratch: TopLevel = {
  values: new Float64Array(10),
  ends: new Float64Array(10),
  claims: 0,
  events: [],
  queries: [],
  responses: [],
}

/**
 * The strict first pass shared by both messages: every field known, with its wire type, each
 * singular field at most once, every claim regular, every count within its limit. Any doubt
 * gives undefined.
 */
function scanTop(
  bytes: Uint8Array,
  layout: ReadonlyArray<Layout | undefined>,
  maxBytes: number,
  maxClaims: number,
  maxEvents: number,
  maxAddrs: number,
): TopLevel | undefined {
  if (bytes.byteLength > maxBytes) return undefined
  const c = new Cursor(bytes).at(0, bytes.byteLength)
  const claimCursor = new Cursor(bytes)
  const top = scratch
  top.values.fill(-1)
  top.ends.fill(-1)
  top.claims = 0
  top.events.length = 0
  top.queries.length = 0
  top.responses.length = 0
  while (c.pos < c.end) {
    const tag = c.varint()
    if (tag < 0) return undefined
    const field = Math.floor(tag / 8)
    const wire = tag & 7
    const how = field < layout.length ? layout[field] : undefined
    if (how === 'varint') {
      if (wire !== 0 || top.values[field] >= 0) return undefined
      const v = c.varint()
      if (v < 0) return undefined
      top.values[field] = v
    } else if (how !== undefined) {
      if (wire !== 2) return undefined
      const len = c.varint()
      if (len < 0 || c.pos + len > c.end) return undefined
      const start = c.pos
      c.pos += len
      if (how === 'message') {
        if (top.values[field] >= 0) return undefined
        top.values[field] = start
        top.ends[field] = c.pos
      } else if (how === 'claims') {
        if (++top.claims > maxClaims) return undefined
        if (classifyClaim(claimCursor, start, c.pos, maxAddrs) === IRREGULAR) return undefined
      } else if (how === 'events') {
        top.events.push(start, c.pos)
        if (top.events.length / 2 > maxEvents) return undefined
      } else {
        const slices = how === 'queries' ? top.queries : top.responses
        slices.push(start, c.pos)
        const max = how === 'queries' ? DECODE_LIMITS.queriesPerPacket : DECODE_LIMITS.responsesPerPacket
        if (slices.length / 2 > max) return undefined
      }
    } else return undefined
  }
  return Math.max(0, top.values[FIELDS.Packet.version]) === PROTOCOL_VERSION ? top : undefined
}

const NO_EVENTS: UserEvent[] = []

function decodeEvents(bytes: Uint8Array, slices: number[]): UserEvent[] {
  if (slices.length === 0) return NO_EVENTS // only ever iterated
  const events: UserEvent[] = []
  for (let i = 0; i < slices.length; i += 2) events.push(UserEvent.decode(bytes.subarray(slices[i], slices[i + 1])))
  return events
}

const NO_QUERIES: Query[] = []
const NO_RESPONSES: QueryResponse[] = []

function decodeQueries(bytes: Uint8Array, slices: number[]): Query[] {
  if (slices.length === 0) return NO_QUERIES
  const out: Query[] = []
  for (let i = 0; i < slices.length; i += 2) {
    out.push(Query.decode(bytes.subarray(slices[i], slices[i + 1]), { limits: QUERY_DECODE_LIMITS }))
  }
  return out
}

function decodeResponses(bytes: Uint8Array, slices: number[]): QueryResponse[] {
  if (slices.length === 0) return NO_RESPONSES
  const out: QueryResponse[] = []
  for (let i = 0; i < slices.length; i += 2) out.push(QueryResponse.decode(bytes.subarray(slices[i], slices[i + 1])))
  return out
}

/** How each top-level field of a message is read, by field number. */
function layoutOf(fields: Record<string, number>, how: Record<string, Layout>): Layout[] {
  const out: Layout[] = []
  for (const [name, n] of Object.entries(fields)) out[n] = how[name]
  return out
}

const PP = FIELDS.PushPull
const PK = FIELDS.Packet
const PUSH_PULL = layoutOf(PP, {
  version: 'varint',
  join: 'varint',
  updates: 'claims',
  events: 'events',
  eventLtime: 'varint',
  mode: 'varint',
  digestLo: 'varint',
  digestHi: 'varint',
})
const PACKET = layoutOf(PK, {
  version: 'varint',
  ping: 'message',
  ack: 'message',
  nack: 'message',
  pingReq: 'message',
  updates: 'claims',
  events: 'events',
  queries: 'queries',
  responses: 'responses',
})

/**
 * Scans a push-pull state without decoding its claims. Returns undefined for anything but a
 * plain, well-formed message of our version within every limit: the caller then decodes it with
 * decodePushPull, which accepts or rejects it exactly as before. So this is only ever a faster
 * path to the same result.
 */
export function scanPushPull(bytes: Uint8Array, limits: CodecLimits): ScannedPushPull | undefined {
  const { maxSyncBytes, maxAddrsPerMember } = limits
  const { updatesPerSync, eventsPerSync } = DECODE_LIMITS
  const top = scanTop(bytes, PUSH_PULL, maxSyncBytes, updatesPerSync, eventsPerSync, maxAddrsPerMember)
  if (top === undefined) return undefined
  try {
    return {
      join: top.values[PP.join] > 0,
      eventLtime: Math.max(0, top.values[PP.eventLtime]),
      mode: Math.max(0, top.values[PP.mode]),
      digestLo: Math.max(0, top.values[PP.digestLo]),
      digestHi: Math.max(0, top.values[PP.digestHi]),
      events: decodeEvents(bytes, top.events),
      claims: top.claims === 0 ? NO_CLAIMS : new Claims(bytes, top.claims, PP.updates, maxAddrsPerMember),
    }
  } catch {
    return undefined
  }
}

/** Scans a packet without decoding its claims; undefined means: use decodePacket (see scanPushPull). */
export function scanPacket(bytes: Uint8Array, limits: CodecLimits): ScannedPacket | undefined {
  const { maxPacketBytes, maxAddrsPerMember } = limits
  const { updatesPerPacket, eventsPerPacket } = DECODE_LIMITS
  const top = scanTop(bytes, PACKET, maxPacketBytes, updatesPerPacket, eventsPerPacket, maxAddrsPerMember)
  if (top === undefined) return undefined
  const sub = (field: number) => bytes.subarray(top.values[field], top.ends[field])
  try {
    const p: ScannedPacket = {
      events: decodeEvents(bytes, top.events),
      queries: decodeQueries(bytes, top.queries),
      responses: decodeResponses(bytes, top.responses),
      claims: top.claims === 0 ? NO_CLAIMS : new Claims(bytes, top.claims, PK.updates, maxAddrsPerMember),
    }
    if (top.values[PK.ping] >= 0) p.ping = Ping.decode(sub(PK.ping))
    if (top.values[PK.ack] >= 0) {
      p.ack = Ack.decode(sub(PK.ack), { limits: { coordinate: { vec: DECODE_LIMITS.coordinateDimensions } } })
    }
    if (top.values[PK.nack] >= 0) p.nack = Nack.decode(sub(PK.nack))
    if (top.values[PK.pingReq] >= 0) {
      p.pingReq = PingReq.decode(sub(PK.pingReq), { limits: { targetAddrs: maxAddrsPerMember } })
    }
    return p
  } catch {
    return undefined
  }
}
