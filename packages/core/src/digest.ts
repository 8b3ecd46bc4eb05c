import { type MemberState, STATE_RANK } from './member.ts'

/**
 * An order-free 64-bit fingerprint of a member table: the XOR of one hash per member over its
 * (id, incarnation, state). Kept up to date in O(1) per change (XOR the old entry out, the new one
 * in), so two nodes can tell whether their tables agree without exchanging them: a periodic
 * push-pull between nodes that already agree costs two small messages instead of two full states.
 *
 * It only decides whether to skip a sync, never what a table holds: a collision (about 2^-64 per
 * comparison) makes one sync a no-op and the next change brings the next one. Addresses and
 * metadata need no place in it: they change only with a new incarnation.
 */
export class StateDigest {
  lo = 0
  hi = 0

  /** Adds the entry when absent, removes it when present (XOR). */
  toggle(id: string, incarnation: number, state: MemberState): void {
    this.lo = (this.lo ^ entryHash(id, incarnation, state, SEED_LO)) >>> 0
    this.hi = (this.hi ^ entryHash(id, incarnation, state, SEED_HI)) >>> 0
  }

  /** This table's fingerprint plus one more entry (ourselves), as [lo, hi]. */
  with(id: string, incarnation: number, state: MemberState): [lo: number, hi: number] {
    return [
      (this.lo ^ entryHash(id, incarnation, state, SEED_LO)) >>> 0,
      (this.hi ^ entryHash(id, incarnation, state, SEED_HI)) >>> 0,
    ]
  }
}

const SEED_LO = 0x811c9dc5
const SEED_HI = 0x9747b28c

/** FNV-1a over the id's UTF-16 code units, then the incarnation and state, finished with murmur3's fmix32. */
export function entryHash(id: string, incarnation: number, state: MemberState, seed: number): number {
  let h = seed
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= incarnation >>> 0
  h = Math.imul(h, 0x01000193)
  h ^= Math.floor(incarnation / 0x100000000)
  h = Math.imul(h, 0x01000193)
  h ^= STATE_RANK[state] + 1
  h = Math.imul(h, 0x01000193)
  return fmix32(h)
}

/** murmur3's 32-bit finalizer: every input bit flips about half of the output bits. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
