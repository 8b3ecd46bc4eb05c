import type { Query, QueryResponse } from './codec/index.ts'
import type { Context } from './context.ts'

/** A query's name in the cluster: `origin/incarnation/seq`. */
export function queryKey(origin: string, incarnation: number, seq: number): string {
  return `${origin}/${incarnation}/${seq}`
}

/** Sequence numbers remembered per origin: how far back a query from it still counts as new. */
const WINDOW = 32
/** Relayed answers remembered, for relaying each once. */
const MAX_RELAYED = 4096

/**
 * Anti-replay windows (as IPsec's): per origin, its latest (incarnation, seq) and which of the
 * WINDOW before it were seen. A query older than the window, or seen, is stale. Origins are
 * members, so at most maxMembers are tracked; those no longer held are forgotten first.
 */
export class SeqWindows {
  private readonly byOrigin = new Map<string, { incarnation: number; max: number; bits: number }>()
  private readonly relayed = new Set<string>()

  constructor(private readonly ctx: Context) {}

  fresh(q: Query): boolean {
    const w = this.byOrigin.get(q.origin)
    if (w === undefined || q.incarnation > w.incarnation) return true
    if (q.incarnation < w.incarnation || q.seq + WINDOW <= w.max) return false
    return q.seq > w.max || (w.bits & (1 << (w.max - q.seq))) === 0
  }

  mark(q: Query): void {
    const w = this.byOrigin.get(q.origin)
    if (w === undefined || q.incarnation > w.incarnation) {
      if (w === undefined) this.makeRoom()
      this.byOrigin.set(q.origin, { incarnation: q.incarnation, max: q.seq, bits: 1 })
    } else if (q.seq > w.max) {
      const shift = q.seq - w.max
      w.bits = shift >= WINDOW ? 1 : ((w.bits << shift) | 1) >>> 0
      w.max = q.seq
    } else w.bits = (w.bits | (1 << (w.max - q.seq))) >>> 0
  }

  relayOnce(r: QueryResponse): boolean {
    const key = `${queryKey(r.origin, r.incarnation, r.seq)}/${r.from}/${r.ack ? 1 : 0}`
    if (this.relayed.has(key)) return false
    if (this.relayed.size >= MAX_RELAYED) this.relayed.clear()
    this.relayed.add(key)
    return true
  }

  private makeRoom(): void {
    if (this.byOrigin.size < this.ctx.config.maxMembers + 1) return
    for (const id of this.byOrigin.keys()) if (this.ctx.list.get(id) === undefined) this.byOrigin.delete(id)
    if (this.byOrigin.size >= this.ctx.config.maxMembers + 1) this.byOrigin.delete(this.byOrigin.keys().next().value!)
  }
}
