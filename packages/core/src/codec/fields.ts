/**
 * The field numbers of messages.proto, the one table that the hand-written reader (scan.ts) and
 * writer (index.ts) use; a test checks it against the .proto. Field numbers are append-only.
 */
export const FIELDS = {
  Update: {
    kind: 1,
    id: 2,
    incarnation: 3,
    from: 4,
    addrs: 5,
    metadata: 6,
    signature: 7,
    reportDigest: 8,
    reportSize: 9,
  },
  Packet: { version: 1, ping: 2, ack: 3, nack: 4, pingReq: 5, updates: 6, events: 7, queries: 8, responses: 9 },
  PushPull: { version: 1, join: 2, updates: 3, events: 4, eventLtime: 5, mode: 6, digestLo: 7, digestHi: 8 },
} as const

/** Protobuf wire types used by these messages. */
export const WIRE = { varint: 0, delimited: 2 } as const

/** A field's tag byte: field number << 3 | wire type (one byte for field numbers below 16). */
export function tag(field: number, wire: number): number {
  return (field << 3) | wire
}
