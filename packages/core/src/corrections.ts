import type { Update } from './codec/index.ts'
import type { Context } from './context.ts'
import { isLive } from './member-list.ts'
import type { Peer } from './transport.ts'

/** Corrections sent back in one packet at most. */
export const MAX_CORRECTIONS = 4
/** Sender/member pairs remembered per generation for the rate limit. */
const MAX_CORRECTION_MEMORY = 4096

/**
 * Answers stale accusations: a member that gossips a suspicion or death we know to be over (the
 * accused refuted, or left) gets the newer claim sent straight back. At most MAX_CORRECTIONS per
 * packet and once per member and sender per probe interval (the sender repeats a claim a few
 * times; one answer is enough, and a flood earns no amplification). Only live members are
 * answered.
 */
export class Corrections {
  /**
   * When we last corrected each sender about each member ("sender member" → clock ms), in two
   * generations swapped every probe interval: what the older one drops is past the rate limit.
   */
  private corrected = new Map<string, number>()
  private correctedBefore = new Map<string, number>()
  private correctedSince = 0

  constructor(
    private readonly ctx: Context,
    /** Sends claims that must ride in the next packet to a peer. */
    private readonly send: (to: Peer, claims: Update[]) => void,
  ) {}

  /** Sends `from` the newer claims answering the stale accusations it just gossiped to us. */
  answer(from: string, claims: Update[]): void {
    if (claims.length === 0) return
    const peer = this.ctx.list.get(from)
    if (peer === undefined || !isLive(peer.state)) return
    const now = this.ctx.clock.now()
    const quiet = this.ctx.config.probeIntervalMs
    if (now - this.correctedSince >= quiet || this.corrected.size >= MAX_CORRECTION_MEMORY) {
      this.correctedBefore = this.corrected
      this.corrected = new Map()
      this.correctedSince = now
    }
    const out: Update[] = []
    for (const u of claims) {
      const key = `${from} ${u.id}`
      const last = this.corrected.get(key) ?? this.correctedBefore.get(key)
      if (last !== undefined && now - last < quiet) continue
      this.corrected.set(key, now)
      out.push(u)
      if (out.length === MAX_CORRECTIONS) break
    }
    if (out.length === 0) return
    this.ctx.stats.corrections += out.length
    this.send(peer, out)
  }
}
