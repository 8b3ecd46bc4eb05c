import { DECODE_LIMITS, PROTOCOL_VERSION, SIGNING_DOMAIN } from '../constants.ts'
import { DecodeError, MessageTooLargeError } from '../errors.ts'
import { Kind, Packet, PushPull, Update, UserEvent } from './messages.ts'

export type { Ack, Nack, Ping, PingReq } from './messages.ts'
export { Kind, Packet, PushPull, Update, UserEvent }

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

export function encodePacket(p: Omit<Packet, 'version' | 'updates' | 'events'> & Partial<Packet>): Uint8Array {
  return Packet.encode({ updates: [], events: [], ...p, version: PROTOCOL_VERSION })
}

/** Throws DecodeError (with a `reason`) or MessageTooLargeError. */
export function decodePacket(bytes: Uint8Array, limits: CodecLimits): Packet {
  return decodeWith(Packet, bytes, limits.maxPacketBytes, {
    updates: DECODE_LIMITS.updatesPerPacket,
    events: DECODE_LIMITS.eventsPerPacket,
    updates$: { addrs: limits.maxAddrsPerMember },
    pingReq: { targetAddrs: limits.maxAddrsPerMember },
  })
}

export function encodePushPull(p: Omit<PushPull, 'version'>): Uint8Array {
  return PushPull.encode({ ...p, version: PROTOCOL_VERSION })
}

export function decodePushPull(bytes: Uint8Array, limits: CodecLimits): PushPull {
  return decodeWith(PushPull, bytes, limits.maxSyncBytes, {
    updates: DECODE_LIMITS.updatesPerSync,
    events: DECODE_LIMITS.eventsPerSync,
    updates$: { addrs: limits.maxAddrsPerMember },
  })
}

function withPrefix(prefix: string, body: Uint8Array): Uint8Array {
  const p = encoder.encode(prefix)
  const out = new Uint8Array(p.byteLength + body.byteLength)
  out.set(p, 0)
  out.set(body, p.byteLength)
  return out
}

/** The bytes a claim's signature covers: the domain, then the claim with its signature empty. */
export function updateSigningBytes(u: Update): Uint8Array {
  return withPrefix(SIGNING_DOMAIN.update, Update.encode({ ...u, signature: EMPTY }))
}

/** The bytes a user event's signature covers. */
export function eventSigningBytes(e: UserEvent): Uint8Array {
  return withPrefix(SIGNING_DOMAIN.event, UserEvent.encode({ ...e, signature: EMPTY }))
}

/** Encoded size of an update, for packing packets under a byte budget. */
export function updateSize(u: Update): number {
  return Update.encode(u).byteLength
}

export function eventSize(e: UserEvent): number {
  return UserEvent.encode(e).byteLength
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
