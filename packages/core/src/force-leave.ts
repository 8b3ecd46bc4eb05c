import type { Admission } from './admission.ts'
import type { Context } from './context.ts'
import { MemberNotDeadError, UnknownMemberError } from './errors.ts'
import type { UserEventInfo } from './events.ts'
import { isLive } from './member-list.ts'
import { KeyedRateLimit } from './rate-limit.ts'

/** The user event name that carries an operator's force-leave (reserved: apps cannot broadcast it). */
export const FORCE_LEAVE_EVENT = 'murmur:force-leave'

/** Force-leaves one origin may make others honour, per second (burst twice that). */
export const FORCE_LEAVES_PER_ORIGIN_PER_SECOND = 10

/** Members forgotten by force-leave, remembered so that stale claims cannot bring them back. */
export const MAX_FORGOTTEN = 1024

const decoder = new TextDecoder()

/**
 * Force-leave (Serf's force-leave, under Murmur's trust rules): nobody can make another member
 * leave, so it only ever forgets a member that this node itself holds dead (or left): its
 * tombstone is reaped at once (member:reap) instead of after tombstoneMs. The operator's word
 * spreads as a signed user event (FORCE_LEAVE_EVENT, the id as payload); a receiver honours it
 * only from a live member, within FORCE_LEAVES_PER_ORIGIN_PER_SECOND, and only for a member it
 * holds dead or left itself (never alive or suspect). A forgotten member's (id, incarnation) is
 * remembered for tombstoneMs (at most MAX_FORGOTTEN, oldest dropped first), so that an old
 * claim of it, gossiped or pushed by a node that has not forgotten it yet, cannot bring it back;
 * a newer alive claim (the member restarted: a higher incarnation) is admitted as ever.
 */
export class ForceLeave {
  /** Forgotten members: the incarnation they were forgotten at, and when. Oldest first. */
  private readonly forgotten = new Map<string, { incarnation: number; at: number }>()
  private readonly rate = new KeyedRateLimit(() => FORCE_LEAVES_PER_ORIGIN_PER_SECOND)

  constructor(
    private readonly ctx: Context,
    private readonly admission: Admission,
  ) {}

  /**
   * Forgets `id` here, now. Throws UnknownMemberError when it is not in the table, and
   * MemberNotDeadError when it is alive or suspect.
   */
  local(id: string): void {
    const r = this.ctx.list.get(id)
    if (r === undefined) throw new UnknownMemberError(`no member ${id} in this node's table (never seen, or reaped)`)
    if (isLive(r.state)) {
      throw new MemberNotDeadError(
        `${id} is ${r.state} here: force-leave only forgets members this node holds dead or left`,
      )
    }
    this.forget(id, r.incarnation)
  }

  /** An operator's force-leave from the network (a delivered user event named FORCE_LEAVE_EVENT). */
  receive(e: UserEventInfo): void {
    const { ctx } = this
    if (e.origin === ctx.selfId) return // ours: done by local() already
    const origin = ctx.list.get(e.origin)
    const id = decoder.decode(e.payload)
    const r = ctx.list.get(id)
    if (
      origin === undefined ||
      !isLive(origin.state) ||
      !ctx.admitted(e.origin) ||
      r === undefined ||
      isLive(r.state) ||
      !this.rate.take(e.origin, ctx.clock.now())
    ) {
      ctx.stats.drops['force-leave-refused']++
      return
    }
    ctx.log('forgetting %s: force-leave by %s', id, e.origin)
    this.forget(id, r.incarnation)
  }

  /**
   * Was `id` forgotten at `incarnation` or above (within tombstoneMs)? Then a claim of it at
   * `incarnation` is an echo of the member we forgot, not news.
   */
  suppresses(id: string, incarnation: number): boolean {
    const f = this.forgotten.get(id)
    if (f === undefined) return false
    if (f.at + this.ctx.config.tombstoneMs <= this.ctx.clock.now()) {
      this.forgotten.delete(id)
      return false
    }
    return incarnation <= f.incarnation
  }

  private forget(id: string, incarnation: number): void {
    const { ctx } = this
    this.forgotten.delete(id)
    this.forgotten.set(id, { incarnation, at: ctx.clock.now() })
    while (this.forgotten.size > MAX_FORGOTTEN) this.forgotten.delete(this.forgotten.keys().next().value!)
    if (this.admission.forget(id)) ctx.stats.forceLeaves++
  }
}
