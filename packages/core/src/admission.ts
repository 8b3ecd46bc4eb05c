import type { Context } from './context.ts'
import { isLive } from './member-list.ts'
import { KeyedRateLimit } from './rate-limit.ts'

/**
 * Who may enter the member table, and the tombstones that leave it. A new member must be admitted
 * (the allow-list, when one is set), fit under maxMembers (evicting the oldest tombstone when the
 * table is full) and come from an introducer within its maxNewMembersPerSecond. Tombstones (dead
 * and left members) are kept in the order they died, so reaping the expired ones looks at those
 * alone.
 */
export class Admission {
  /** Dead and left members by the time they died, oldest first (Map keeps insertion order). */
  private readonly tombstones = new Map<string, number>()
  private readonly introduced: KeyedRateLimit

  constructor(private readonly ctx: Context) {
    this.introduced = new KeyedRateLimit(() => ctx.config.maxNewMembersPerSecond)
  }

  /**
   * May a member we have never seen enter the table? `introducer` is the peer that brought its
   * claim (undefined: our own join or restore(), which are not rate-limited). Counts refusals.
   */
  admitNew(id: string, introducer: string | undefined): boolean {
    const { ctx } = this
    const drops = ctx.stats.drops
    if (!ctx.admitted(id)) {
      drops['not-admitted']++
      return false
    }
    if (ctx.list.size >= ctx.config.maxMembers && !this.evictOldest()) {
      drops['table-full']++
      return false
    }
    if (introducer !== undefined && !this.introduced.take(introducer, ctx.clock.now())) {
      drops['admission-rate']++
      return false
    }
    return true
  }

  /** A member died or left (again): its tombstone dates from now. */
  buried(id: string, at: number): void {
    this.tombstones.delete(id)
    this.tombstones.set(id, at)
  }

  /** Forgets dead and left members whose tombstone time is over; O(expired). */
  reap(): void {
    const { ctx } = this
    const expiry = ctx.clock.now() - ctx.config.tombstoneMs
    for (const [id, at] of this.tombstones) {
      if (at > expiry) break
      this.forget(id)
    }
  }

  /** Drops the oldest tombstone to make room; false when there is none. */
  private evictOldest(): boolean {
    for (const id of this.tombstones.keys()) {
      if (this.forget(id)) {
        this.ctx.stats.tombstonesEvicted++
        return true
      }
    }
    return false
  }

  /** Removes a tombstone and, if its member is still dead or left, the member (member:reap). */
  forget(id: string): boolean {
    this.tombstones.delete(id)
    const r = this.ctx.list.get(id)
    if (r === undefined || isLive(r.state)) return false
    this.ctx.list.remove(id)
    this.ctx.queue.remove(id)
    this.ctx.vivaldi.forget(id)
    this.ctx.emitMember('member:reap', r)
    return true
  }
}
