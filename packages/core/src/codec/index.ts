import { DECODE_LIMITS, DEFAULT_CLUSTER, PROTOCOL_VERSION, QUERY_DECODE_LIMITS, SIGNING_DOMAIN } from '../constants.ts'
import { DecodeError, MessageTooLargeError } from '../errors.ts'
import { allocBytes, encodeEvent, encodeUpdate } from './cache.ts'
import { FIELDS, tag, WIRE } from './fields.ts'
import { Kind, Packet, PushPull, Query, QueryResponse, ReportRequest, Update, UserEvent } from './messages.ts'

export { encodeUpdate } from './cache.ts'
export { FIELDS } from './fields.ts'
export type { Ack, Nack, Ping, PingReq } from './messages.ts'

import type { Ping } from './messages.ts'

export {
  type ClaimHeader,
  type ScannedClaims,
  type ScannedPacket,
  type ScannedPushPull,
  scanPacket,
  scanPushPull,
} from './scan.ts'
export { Kind, Packet, PushPull, Query, QueryResponse, ReportRequest, Update, UserEvent }

export interface CodecLimits {
  maxPacketBytes: number
  maxSyncBytes: number
  maxAddrsPerMember: number
}

const EMPTY = new Uint8Array(0)
const encoder = new TextEncoder()

function decodeWith<T>(
  codec: { decode(b: Uint8Array, o?: object): T },
  bytes: Uint8Array,
  max: number,
  limits: object,
): T {
  if (bytes.byteLength > max) throw new MessageTooLargeError(`message of ${bytes.byteLength} bytes exceeds ${max}`)
  let msg: T
  try {
    msg = codec.decode(bytes, { limits })
  } catch (err) {
    const e = err as Error
    if (e.name === 'MaxLengthError') throw new DecodeError(e.message, 'too-many-fields')
    throw new DecodeError(`malformed message: ${e.message}`)
  }
  const version = (msg as { version: number }).version
  if (version !== PROTOCOL_VERSION) {
    throw new DecodeError(`unsupported protocol version ${version} (this node speaks ${PROTOCOL_VERSION})`, 'version')
  }
  return msg
}

function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

function writeVarint(out: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  out[pos++] = n
  return pos
}

/**
 * `head` followed by repeated length-delimited fields built from already encoded messages, and
 * trailing varint fields (tag, value; zero values are left out, as protons does): the bytes
 * protons would write for the whole message, since it writes fields in field-number order and
 * these are the last fields of their messages.
 */
function withFields(
  head: Uint8Array,
  updatesTag: number,
  updates: readonly Update[],
  eventsTag: number,
  events: readonly UserEvent[],
  last: ReadonlyArray<readonly [tag: number, value: number]> = NONE,
): Uint8Array {
  let size = head.byteLength
  for (const u of updates) size += framed(encodeUpdate(u))
  for (const e of events) size += framed(encodeEvent(e))
  for (const [, value] of last) if (value !== 0) size += 1 + varintLength(value)
  const out = allocBytes(size)
  out.set(head, 0)
  let pos = head.byteLength
  for (const u of updates) pos = writeFramed(out, pos, updatesTag, encodeUpdate(u))
  for (const e of events) pos = writeFramed(out, pos, eventsTag, encodeEvent(e))
  for (const [tag, value] of last) {
    if (value === 0) continue
    out[pos++] = tag
    pos = writeVarint(out, pos, value)
  }
  return out
}

function framed(b: Uint8Array): number {
  return 1 + varintLength(b.byteLength) + b.byteLength
}

function writeFramed(out: Uint8Array, pos: number, tag: number, b: Uint8Array): number {
  out[pos++] = tag
  pos = writeVarint(out, pos, b.byteLength)
  if (b.byteLength < 32) for (let i = 0; i < b.byteLength; i++) out[pos + i] = b[i]
  else out.set(b, pos)
  return pos + b.byteLength
}

// Wire tags of the fields written by withFields.
const PACKET_UPDATES = tag(FIELDS.Packet.updates, WIRE.delimited)
const PACKET_EVENTS = tag(FIELDS.Packet.events, WIRE.delimited)
const PACKET_QUERIES = tag(FIELDS.Packet.queries, WIRE.delimited)
const PACKET_RESPONSES = tag(FIELDS.Packet.responses, WIRE.delimited)
const SYNC_UPDATES = tag(FIELDS.PushPull.updates, WIRE.delimited)
const SYNC_EVENTS = tag(FIELDS.PushPull.events, WIRE.delimited)
const SYNC_EVENT_LTIME = tag(FIELDS.PushPull.eventLtime, WIRE.varint)
const SYNC_MODE = tag(FIELDS.PushPull.mode, WIRE.varint)
const SYNC_DIGEST_LO = tag(FIELDS.PushPull.digestLo, WIRE.varint)
const SYNC_DIGEST_HI = tag(FIELDS.PushPull.digestHi, WIRE.varint)

const NONE: never[] = []

/** A ping as callers write it: `wantCoordinate` may be left out (false). */
export type PingInput = Omit<Ping, 'wantCoordinate'> & Partial<Pick<Ping, 'wantCoordinate'>>

/** What encodePacket takes: any probe message, plus updates and events (both optional). */
export type PacketInput = Omit<Partial<Packet>, 'version' | 'ping'> & { ping?: PingInput }

export function encodePacket(p: PacketInput): Uint8Array {
  const head = Packet.encode({
    version: PROTOCOL_VERSION,
    ping: p.ping === undefined ? undefined : { wantCoordinate: false, ...p.ping },
    ack: p.ack,
    nack: p.nack,
    pingReq: p.pingReq,
    updates: NONE,
    events: NONE,
  })
  const out = withFields(head, PACKET_UPDATES, p.updates ?? NONE, PACKET_EVENTS, p.events ?? NONE)
  const queries = p.queries ?? NONE
  const responses = p.responses ?? NONE
  if (queries.length === 0 && responses.length === 0) return out
  // queries and responses are rare: appended after the events, still in field-number order
  const parts = [...queries.map((q) => Query.encode(q)), ...responses.map((r) => QueryResponse.encode(r))]
  const all = allocBytes(out.byteLength + parts.reduce((n, b) => n + framed(b), 0))
  all.set(out, 0)
  let pos = out.byteLength
  parts.forEach((b, i) => {
    pos = writeFramed(all, pos, i < queries.length ? PACKET_QUERIES : PACKET_RESPONSES, b)
  })
  return all
}

/** protons decode limits, made once per limits object (a config is frozen and lives long). */
const packetLimits = new WeakMap<CodecLimits, object>()

/** Throws DecodeError (with a `reason`) or MessageTooLargeError. */
export function decodePacket(bytes: Uint8Array, limits: CodecLimits): Packet {
  let decodeLimits = packetLimits.get(limits)
  if (decodeLimits === undefined) {
    decodeLimits = {
      updates: DECODE_LIMITS.updatesPerPacket,
      events: DECODE_LIMITS.eventsPerPacket,
      updates$: { addrs: limits.maxAddrsPerMember },
      pingReq: { targetAddrs: limits.maxAddrsPerMember },
      ack: { coordinate: { vec: DECODE_LIMITS.coordinateDimensions } },
      queries: DECODE_LIMITS.queriesPerPacket,
      queries$: QUERY_DECODE_LIMITS,
      responses: DECODE_LIMITS.responsesPerPacket,
    }
    if (Object.isFrozen(limits)) packetLimits.set(limits, decodeLimits)
  }
  return decodeWith(Packet, bytes, limits.maxPacketBytes, decodeLimits)
}

export function encodePushPull(
  p: Omit<PushPull, 'version' | 'mode' | 'digestLo' | 'digestHi'> & Partial<PushPull>,
): Uint8Array {
  const head = PushPull.encode({
    version: PROTOCOL_VERSION,
    join: p.join,
    updates: NONE,
    events: NONE,
    eventLtime: 0,
    mode: 0,
    digestLo: 0,
    digestHi: 0,
  })
  return withFields(head, SYNC_UPDATES, p.updates, SYNC_EVENTS, p.events, [
    [SYNC_EVENT_LTIME, p.eventLtime],
    [SYNC_MODE, p.mode ?? 0],
    [SYNC_DIGEST_LO, p.digestLo ?? 0],
    [SYNC_DIGEST_HI, p.digestHi ?? 0],
  ])
}

export function decodePushPull(bytes: Uint8Array, limits: CodecLimits): PushPull {
  return decodeWith(PushPull, bytes, limits.maxSyncBytes, {
    updates: DECODE_LIMITS.updatesPerSync,
    events: DECODE_LIMITS.eventsPerSync,
    updates$: { addrs: limits.maxAddrsPerMember },
  })
}

/** A report request's largest encoding: an id of 256 characters, a 32-byte digest, framing. */
const MAX_REPORT_REQUEST_BYTES = 1024

export function encodeReportRequest(r: { id: string; digest: Uint8Array }): Uint8Array {
  return ReportRequest.encode({ version: PROTOCOL_VERSION, id: r.id, digest: owned(r.digest) })
}

/** Throws DecodeError or MessageTooLargeError; also on an empty id or a digest not 32 bytes. */
export function decodeReportRequest(bytes: Uint8Array): ReportRequest {
  const r = decodeWith(ReportRequest, bytes, MAX_REPORT_REQUEST_BYTES, {})
  if (r.id === '' || r.id.length > 256 || r.digest.byteLength !== 32) throw new DecodeError('invalid report request')
  return r
}

/** Encoded domain prefixes, by text: four per cluster name (claims, events, queries, responses). */
const prefixes = new Map<string, Uint8Array>()
const MAX_PREFIXES = 64

function withPrefix(prefix: string, body: Uint8Array): Uint8Array {
  let p = prefixes.get(prefix)
  if (p === undefined) {
    p = encoder.encode(prefix)
    if (prefixes.size >= MAX_PREFIXES) prefixes.clear()
    prefixes.set(prefix, p)
  }
  const out = new Uint8Array(p.byteLength + body.byteLength)
  out.set(p, 0)
  out.set(body, p.byteLength)
  return out
}

/**
 * The bytes a claim's signature covers: the domain (with the cluster's name), then the claim with
 * its signature empty. A claim signed for one cluster does not verify in another.
 */
export function updateSigningBytes(u: Update, cluster = DEFAULT_CLUSTER): Uint8Array {
  return withPrefix(`${SIGNING_DOMAIN.update}cluster=${cluster}\n`, Update.encode({ ...u, signature: EMPTY }))
}

/** The bytes a user event's signature covers (with the cluster's name, as claims). */
export function eventSigningBytes(e: UserEvent, cluster = DEFAULT_CLUSTER): Uint8Array {
  return withPrefix(`${SIGNING_DOMAIN.event}cluster=${cluster}\n`, UserEvent.encode({ ...e, signature: EMPTY }))
}

/** The bytes a query's signature covers (with the cluster's name, as claims). */
export function querySigningBytes(q: Query, cluster = DEFAULT_CLUSTER): Uint8Array {
  return withPrefix(`${SIGNING_DOMAIN.query}cluster=${cluster}\n`, Query.encode({ ...q, signature: EMPTY }))
}

/** The bytes a query response's signature covers (with the cluster's name, as claims). */
export function responseSigningBytes(r: QueryResponse, cluster = DEFAULT_CLUSTER): Uint8Array {
  return withPrefix(
    `${SIGNING_DOMAIN.queryResponse}cluster=${cluster}\n`,
    QueryResponse.encode({ ...r, signature: EMPTY }),
  )
}

/** Encoded size of an update, for packing packets under a byte budget. */
export function updateSize(u: Update): number {
  return encodeUpdate(u).byteLength
}

export function eventSize(e: UserEvent): number {
  return encodeEvent(e).byteLength
}

export const KIND_TO_STATE = {
  [Kind.ALIVE]: 'alive',
  [Kind.SUSPECT]: 'suspect',
  [Kind.DEAD]: 'dead',
  [Kind.LEFT]: 'left',
} as const

/** The codec wants bytes backed by a plain ArrayBuffer; copy only when they are not. */
export function owned(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b)
}

/**
 * A decoded claim's bytes fields are views into the message they came in (a 64 KiB packet, an
 * 8 MiB push-pull state). A claim the table keeps must not pin that whole buffer: this copies
 * the views that share a larger buffer, in place (the same bytes, so cached encodings stay right).
 */
export function unpin<
  T extends { metadata?: Uint8Array; signature: Uint8Array; payload?: Uint8Array; reportDigest?: Uint8Array },
>(c: T): T {
  const own = (b: Uint8Array) => (b.byteLength > 0 && b.buffer.byteLength > b.byteLength ? b.slice() : b)
  if (c.metadata !== undefined) c.metadata = own(c.metadata) as T['metadata']
  if (c.reportDigest !== undefined) c.reportDigest = own(c.reportDigest) as T['reportDigest']
  if (c.payload !== undefined) c.payload = own(c.payload) as T['payload']
  c.signature = own(c.signature) as T['signature']
  return c
}
