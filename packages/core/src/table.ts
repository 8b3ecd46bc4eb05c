import { claimProblem, headerWithinLimits } from './claim-limits.ts'
import {
  type ClaimHeader,
  KIND_TO_STATE,
  Kind,
  type ScannedClaims,
  type Update,
  updateSigningBytes,
  updateSize,
} from './codec/index.ts'
import { type Context, whenReady } from './context.ts'
import { type FailedProbe, supersedes } from './member.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import type { SelfClaims, SelfState } from './self-claims.ts'
import { Suspicion, suspicionTimeout } from './suspicion.ts'
import { unsigned } from './transport.ts'

const EMPTY = new Uint8Array(0)

/**
 * What a claim would be to our view of its member, before any signature is checked:
 * - `news`: it would change the member's state (a newer incarnation, a stronger state, or a
 *   member we have never seen, for an alive claim);
 * - `confirmation`: another accuser of a suspicion we hold (Lifeguard);
 * - `stale`: we hold as much or more already;
 * - `unknown`: an accusation or leave of a member we have never seen alive.
 */
export type Verdict = 'news' | 'confirmation' | 'stale' | 'unknown'

/** Classifies a claim against the record we hold of its member (pure: no counting, no action). */
export function classify(u: Pick<Update, 'kind' | 'incarnation' | 'from'>, cur: MemberRecord | undefined): Verdict {
  if (cur === undefined) return u.kind === Kind.ALIVE ? 'news' : 'unknown'
  if (u.kind === Kind.SUSPECT && cur.state === 'suspect' && u.incarnation === cur.incarnation) {
    return cur.suspicion !== undefined && u.from !== cur.suspicion.accuser ? 'confirmation' : 'stale'
  }
  return supersedes({ state: KIND_TO_STATE[u.kind], incarnation: u.incarnation }, cur) ? 'news' : 'stale'
}

/**
 * Applies claims to the member list by SWIM's precedence rules: validates, checks precedence
 * before spending a signature check, verifies, applies, emits, and queues the claim for gossip.
 * Refutes accusations about ourselves. Owns the suspicion timers and the tombstones.
 */
export class ClaimTable {
  private readonly tombstones = new Set<string>()
  /** While a packet is handled: our newer claims answering stale accusations in it. */
  private corrections: Update[] | undefined

  constructor(
    private readonly ctx: Context,
    private readonly own: SelfClaims,
  ) {}

  /** This node's own claims and incarnation. */
  get self(): SelfState {
    return this.own.state
  }

  /**
   * Our probe of `id` failed: suspect it, with the probes as the explanation. When it is already
   * suspect on someone else's word, our failed probe is an independent confirmation, which we
   * gossip on (memberlist suspectNode), so that confirmations flow even though members that
   * already know of a suspicion would otherwise never accuse on their own.
   */
  suspectFromProbe(id: string, failedProbes: FailedProbe[]): void {
    const r = this.ctx.list.get(id)
    if (r === undefined) return
    if (r.state === 'alive') this.accuse(r, Kind.SUSPECT, failedProbes)
    else if (r.state === 'suspect' && r.suspicion !== undefined && r.suspicion.accuser !== this.ctx.selfId) {
      this.accuse(r, Kind.SUSPECT, failedProbes) // classify() makes it a confirmation
    }
  }

  /**
   * A claim from the network. Returns a promise only while an asynchronous signature check is
   * pending (push-pull uses it to bound the work in flight). `gossip` false applies it without
   * queueing it for retransmission (restoring known state is not news).
   */
  receive(u: Update, gossip = true): Promise<void> | undefined {
    const problem = claimProblem(u, this.ctx.config)
    if (problem !== undefined) {
      this.ctx.stats.drops[problem]++
      this.ctx.log.trace('dropped claim about %s from %s: %s', u.id, u.from, problem)
      return undefined
    }
    if (u.id === this.ctx.selfId) return this.aboutSelf(u)
    return this.act(u, gossip, () =>
      this.verify(u, () => {
        this.act(u, gossip, () => this.apply(u, gossip))
      }),
    )
  }

  /**
   * Does what a claim's verdict calls for: counts stale and unknown claims, routes confirmations,
   * and runs `onNews` for news.
   */
  private act(u: Update, gossip: boolean, onNews: () => Promise<void> | undefined | void): Promise<void> | undefined {
    const cur = this.ctx.list.get(u.id)
    switch (classify(u, cur)) {
      case 'news':
        return onNews() ?? undefined
      case 'confirmation':
        this.confirm(cur!, u)
        return undefined
      case 'unknown':
        this.ctx.stats.drops['unknown-member']++
        return undefined
      case 'stale':
        this.ctx.stats.updatesStale++
        this.noteStale(u.id, u.kind, u.incarnation)
        return undefined
    }
  }

  /**
   * Would receive() do nothing with a claim of this header but count it stale? Only answers yes
   * when every check receive() makes is sure to pass and the claim is sure not to be news; on
   * any doubt, no (the caller then decodes the claim and receives it).
   */
  isStale(h: ClaimHeader): boolean {
    if (h.id === this.ctx.selfId || !headerWithinLimits(h, this.ctx.config)) return false
    const cur = this.ctx.list.get(h.id)
    if (cur === undefined) return false
    // the same suspicion again: a confirmation or not depends on `from`, which a header lacks
    if (h.kind === Kind.SUSPECT && cur.state === 'suspect' && h.incarnation === cur.incarnation) return false
    return !supersedes({ state: KIND_TO_STATE[h.kind], incarnation: h.incarnation }, cur)
  }

  /** Receives scanned claims: the stale ones are counted from their headers, the others decoded and received. */
  receiveScanned(claims: ScannedClaims, receive: (u: Update) => void = (u) => void this.receive(u)): void {
    while (claims.next()) {
      const h = claims.header()
      if (this.isStale(h)) {
        this.ctx.stats.updatesStale++
        this.noteStale(h.id, h.kind, h.incarnation)
      } else receive(claims.update())
    }
  }

  /**
   * Runs `fn` (the handling of one packet) and returns our newer claims that answer stale
   * accusations in it: a suspect or dead claim about a member that has since refuted it (or
   * about ourselves, refuted) or that has left. Gossip of a refutation can miss the accuser, whose
   * suspicion would then fire; sending it back to whoever repeats the stale claim closes that gap.
   */
  collectCorrections(fn: () => void): Update[] {
    const out: Update[] = []
    this.corrections = out
    try {
      fn()
    } finally {
      this.corrections = undefined
    }
    return out
  }

  /** Forgets dead and left members whose tombstone time is over. */
  reap(): void {
    const now = this.ctx.clock.now()
    for (const id of this.tombstones) {
      const r = this.ctx.list.get(id)
      if (r === undefined || isLive(r.state)) {
        this.tombstones.delete(id)
        continue
      }
      if (now - r.stateChangedAt < this.ctx.config.tombstoneMs) continue
      this.tombstones.delete(id)
      this.ctx.list.remove(id)
      this.ctx.queue.remove(id)
      this.ctx.emitMember('member:reap', r)
    }
  }

  /** Cancels every suspicion timer (on stop). */
  cancelTimers(): void {
    for (const r of this.ctx.list.values()) {
      r.suspicion?.cancel()
      r.suspicion = undefined
    }
  }

  private noteStale(id: string, kind: Kind, incarnation: number): void {
    const out = this.corrections
    if (out === undefined || (kind !== Kind.SUSPECT && kind !== Kind.DEAD)) return
    const newer = this.overriding(id, incarnation)
    if (newer !== undefined && !out.includes(newer)) out.push(newer)
  }

  /** The claim we hold that overrides an accusation of `id` at `incarnation`: a refutation or a leave. */
  private overriding(id: string, incarnation: number): Update | undefined {
    if (id === this.ctx.selfId) return this.own.overriding(incarnation)
    const r = this.ctx.list.get(id)
    if (r === undefined) return undefined
    if (r.state === 'left') return r.stateClaim
    const alive = r.aliveClaim
    return isLive(r.state) && alive !== undefined && alive.incarnation > incarnation ? alive : undefined
  }

  private confirm(r: MemberRecord, u: Update): void {
    if (!this.ctx.config.lifeguard || r.suspicion === undefined) return
    if (r.suspicion.confirmations.includes(u.from)) {
      this.ctx.stats.updatesStale++
      return
    }
    this.verify(u, () => {
      if (r.state !== 'suspect' || r.incarnation !== u.incarnation || r.suspicion === undefined) return
      if (r.suspicion.confirm(u.from)) {
        r.reason = { ...r.reason!, confirmations: r.suspicion.confirmations }
        this.enqueue(u) // pass the confirmation on, so that others shorten their timers too
      }
    })
  }

  private verify(u: Update, then: () => void): Promise<void> | undefined {
    if (u.from === this.ctx.selfId) {
      // our own claim coming back: only we could have signed it, and we never need to re-check it
      if (u.id !== this.ctx.selfId) {
        then()
        return undefined
      }
    }
    if (this.ctx.verifier === unsigned) {
      // accepts everything: skip encoding the signed bytes (the bulk of a simulation's work)
      then()
      return undefined
    }
    const fail = (err?: unknown) => {
      this.ctx.stats.drops['bad-signature']++
      this.ctx.log.trace('bad signature on claim about %s by %s %s', u.id, u.from, err ?? '')
    }
    return whenReady(
      () => this.ctx.verifier.verify(u.from, updateSigningBytes(u), u.signature),
      (ok) => (ok ? then() : fail()),
      fail,
    )
  }

  private aboutSelf(u: Update): Promise<void> | undefined {
    if (this.own.isStale(u)) {
      this.ctx.stats.updatesStale++
      this.noteStale(u.id, u.kind, u.incarnation)
      return undefined
    }
    // An accusation (suspect, dead) or one of our own older lives (an alive or a leave signed
    // by a previous run with the same key): refute with a higher incarnation.
    const mustBeOurs = u.kind === Kind.ALIVE || u.kind === Kind.LEFT
    if (mustBeOurs) return this.verify(u, () => this.own.refute(u))
    this.own.refute(u)
    return undefined
  }

  private apply(u: Update, gossip = true, failedProbes: FailedProbe[] = []): void {
    const { ctx } = this
    const state = KIND_TO_STATE[u.kind]
    let r = ctx.list.get(u.id)
    const now = ctx.clock.now()
    ctx.stats.updatesApplied++
    if (r === undefined) {
      r = {
        id: u.id,
        addrs: u.addrs,
        state: 'alive',
        incarnation: u.incarnation,
        metadata: u.metadata,
        stateChangedAt: now,
        aliveClaim: u,
      }
      ctx.list.add(r)
      if (gossip) this.enqueue(u)
      ctx.emitMember('member:join', r)
      return
    }
    const prev = r.state
    if (ctx.list.setState(r, state, u.incarnation)) r.stateChangedAt = now
    if (gossip) this.enqueue(u)
    if (u.kind === Kind.ALIVE) {
      this.clearSuspicion(r)
      r.stateClaim = undefined
      const changed = !sameAddrs(r.addrs, u.addrs) || !sameBytes(r.metadata, u.metadata)
      r.addrs = u.addrs
      r.metadata = u.metadata
      r.aliveClaim = u
      if (prev === 'suspect') ctx.emitMember('member:alive', r)
      else if (prev === 'dead' || prev === 'left') ctx.emitMember('member:join', r)
      else if (changed) ctx.emitMember('member:update', r)
      return
    }
    r.stateClaim = u
    if (u.kind === Kind.SUSPECT) {
      this.startSuspicion(r, u.from, failedProbes)
      return
    }
    this.clearSuspicion(r)
    this.tombstones.add(r.id)
    if (u.kind === Kind.LEFT) {
      ctx.emitMember('member:leave', r)
      return
    }
    ctx.stats.deaths++
    const base = r.reason ?? { accuser: u.from, suspectedAt: now, confirmations: [], failedProbes: [] }
    r.reason = {
      ...base,
      deadBy: u.from === ctx.selfId ? 'suspicion-timeout' : 'gossip',
      declaredBy: u.from,
      deadAt: now,
    }
    ctx.emitMember('member:dead', r)
  }

  private startSuspicion(r: MemberRecord, accuser: string, failedProbes: FailedProbe[]): void {
    const { ctx } = this
    const { config } = ctx
    this.clearSuspicion(r)
    ctx.stats.suspicions++
    const min = suspicionTimeout(config.suspicionMult, ctx.clusterSize(), config.probeIntervalMs)
    const max = config.lifeguard ? config.suspicionMaxTimeoutMult * min : min
    // Lifeguard expects suspicionMult - 2 confirmations, or none when the cluster is too small to
    // give them (neither the accuser nor the suspect can confirm): memberlist suspectNode.
    const expected = config.suspicionMult - 2
    const k = config.lifeguard && ctx.clusterSize() - 2 >= expected ? expected : 0
    const incarnation = r.incarnation
    r.reason = { accuser, suspectedAt: ctx.clock.now(), confirmations: [], failedProbes }
    r.suspicion = new Suspicion(ctx.clock, accuser, k, min, max, (durationMs) => {
      r.suspicion = undefined
      if (r.state !== 'suspect' || r.incarnation !== incarnation) return
      r.reason = { ...r.reason!, suspicionTimeoutMs: durationMs }
      this.accuse(r, Kind.DEAD, failedProbes)
    })
    ctx.emitMember('member:suspect', r)
  }

  /** We accuse a member ourselves: sign the claim, then handle it as any claim (apply, gossip). */
  private accuse(r: MemberRecord, kind: Kind, failedProbes: FailedProbe[]): void {
    const claim: Update = {
      kind,
      id: r.id,
      incarnation: r.incarnation,
      from: this.ctx.selfId,
      addrs: [],
      metadata: EMPTY,
      signature: EMPTY,
    }
    this.own.signOwn(claim, (signed) => {
      this.act(signed, true, () => this.apply(signed, true, failedProbes))
    })
  }

  private clearSuspicion(r: MemberRecord): void {
    r.suspicion?.cancel()
    r.suspicion = undefined
  }

  private enqueue(u: Update): void {
    this.ctx.queue.enqueue(u.id, u, updateSize(u))
  }
}

function sameAddrs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
