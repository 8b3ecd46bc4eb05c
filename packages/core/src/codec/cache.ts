import { Update, UserEvent } from './messages.ts'

/**
 * Encoded claims and events, by object. A claim is immutable once made and is sent many times
 * (piggybacked, gossiped, in every push-pull), so it is encoded once. Never mutate a claim or an
 * event after it has been encoded. The cached bytes are compact copies: they live as long as the
 * claim, and must not pin a shared pool chunk.
 */
const encodedUpdates = new WeakMap<Update, Uint8Array>()
const encodedEvents = new WeakMap<UserEvent, Uint8Array>()

/** The protobuf encoding of a claim, cached per object. */
export function encodeUpdate(u: Update): Uint8Array {
  let bytes = encodedUpdates.get(u)
  if (bytes === undefined) {
    bytes = Update.encode(u).slice()
    encodedUpdates.set(u, bytes)
  }
  return bytes
}

export function encodeEvent(e: UserEvent): Uint8Array {
  let bytes = encodedEvents.get(e)
  if (bytes === undefined) {
    bytes = UserEvent.encode(e).slice()
    encodedEvents.set(e, bytes)
  }
  return bytes
}

/**
 * Small messages are carved out of a shared ArrayBuffer, as Node's Buffer pool does: a small
 * `new Uint8Array(n)` lives on V8's heap and costs a copy the first time anything (the protobuf
 * reader does) asks for its `.buffer`.
 */
const POOL_BYTES = 64 * 1024
const POOLED_MAX = 4096
let pool = new ArrayBuffer(POOL_BYTES)
let poolUsed = 0

export function allocBytes(size: number): Uint8Array<ArrayBuffer> {
  if (size > POOLED_MAX) return new Uint8Array(size)
  if (poolUsed + size > POOL_BYTES) {
    pool = new ArrayBuffer(POOL_BYTES)
    poolUsed = 0
  }
  const out = new Uint8Array(pool, poolUsed, size)
  poolUsed += (size + 7) & ~7
  return out
}

/**
 * Records `bytes` as the encoding of `u`: for a claim decoded from bytes that are exactly what
 * Update.encode(u) would write (see scan.ts), so that it need not be encoded again.
 */
export function knownEncoding(u: Update, bytes: Uint8Array): void {
  encodedUpdates.set(u, bytes.slice())
}
