import type { Admission } from './admission.ts'
import { claimProblem, headerWithinLimits } from './claim-limits.ts'
import {
  type ClaimHeader,
  KIND_TO_STATE,
  Kind,
  type ScannedClaims,
  type Update,
  unpin,
  updateSigningBytes,
  updateSize,
} from './codec/index.ts'
import type { Context, Via } from './context.ts'
import { type FailedProbe, supersedes } from './member.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import type { DropReason } from './metrics.ts'
import type { SelfClaims, SelfState } from './self-claims.ts'
import { Suspicion, suspicionTimeout } from './suspicion.ts'

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
  if (isAccusation(u.kind) && cur.state === 'suspect' && u.incarnation === cur.incarnation) {
    // Another word against a suspicion we hold: a confirmation (Lifeguard), from each accuser once.
    // A DEAD from someone else is no verdict; it confirms a suspicion that began with someone's
    // failed probe (a SUSPECT), but not one that began with a DEAD: those arrive together after a
    // partition heals (the other half's old verdicts), and must not shrink the accused's time to
    // refute to the minimum.
    const s = cur.suspicion
    if (u.kind === Kind.DEAD && cur.stateClaim?.kind === Kind.DEAD) return 'stale'
    if (s === undefined || u.from === s.accuser || s.saturated) return 'stale'
    return s.confirmations.includes(u.from) ? 'stale' : 'confirmation'
  }
  return supersedes({ state: KIND_TO_STATE[u.kind], incarnation: u.incarnation }, cur) ? 'news' : 'stale'
}

/** SUSPECT and DEAD: claims one member makes against another. */
export function isAccusation(kind: Kind): boolean {
  return kind === Kind.SUSPECT || kind === Kind.DEAD
}

/**
 * Applies claims to the member list by SWIM's precedence rules. Every claim from the network is
 * hostile until checked, cheapest checks first: bounds; then whether it could be news at all
 * (classify); for an accusation, that its accuser is a live member and that it names no
 * incarnation its subject never announced; for a new member, admission; only then its signature
 * (within its sender's budget); then it is applied, emitted and queued for gossip. Refutes
 * verified accusations about ourselves. Owns the suspicion timers.
 */
export class ClaimTable {
  /** While a packet is handled: our newer claims answering stale accusations in it. */
  private corrections: Update[] | undefined

  constructor(
    private readonly ctx: Context,
    private readonly own: SelfClaims,
    private readonly admission: Admission,
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
   * A claim from the network (or restored, `via` LOCAL). Returns a promise only while an
   * asynchronous signature check is pending (push-pull uses it to bound the work in flight).
   * `gossip` false applies it without queueing it for retransmission (restoring known state is
   * not news).
   */
  receive(u: Update, via: Via, gossip = true): Promise<void> | undefined {
    const problem = claimProblem(u, this.ctx.config)
    if (problem !== undefined) return this.drop(u, problem)
    if (u.id === this.ctx.selfId) return this.aboutSelf(u, via)
    return this.act(u, via, this.ctx.list.get(u.id), () =>
      this.verify(u, via, () => {
        this.act(u, via, this.ctx.list.get(u.id), () => this.apply(u, via, gossip))
      }),
    )
  }

  /**
   * Does what a claim's verdict calls for: counts stale and unknown claims; for news and
   * confirmations, first the checks that need no signature (gate), then `onNews` or confirm().
   */
  private act(
    u: Update,
    via: Via,
    cur: MemberRecord | undefined,
    onNews: () => Promise<void> | undefined | void,
  ): Promise<void> | undefined {
    const verdict = classify(u, cur)
    if (verdict === 'unknown') return this.drop(u, 'unknown-member')
    if (verdict === 'stale') {
      this.ctx.stats.updatesStale++
      this.noteStale(u.id, u.kind, u.incarnation)
      return undefined
    }
    const refused = this.gate(u, cur)
    if (refused !== undefined) return this.drop(u, refused)
    return verdict === 'confirmation' ? this.confirm(cur!, u, via) : (onNews() ?? undefined)
  }

  /**
   * Why a claim that would be news (or a confirmation) is refused before its signature is
   * checked: an accusation by someone who is not a live, admitted member, or naming an
   * incarnation its subject never announced; a new member outside the allow-list, or an echo of
   * one force-left here (an old claim of it).
   */
  private gate(u: Update, cur: MemberRecord | undefined): DropReason | undefined {
    if (isAccusation(u.kind)) {
      if (u.from === u.id) return 'invalid-claim' // nobody accuses itself
      if (!this.trustedAccuser(u.from)) return 'untrusted-accuser'
      if (cur !== undefined && u.incarnation > cur.incarnation) return 'future-incarnation'
    } else if (cur === undefined && !this.ctx.admitted(u.id)) return 'not-admitted'
    else if (cur === undefined && this.ctx.forgotten(u.id, u.incarnation)) return 'force-left'
    return undefined
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
    if (isAccusation(h.kind) && cur.state === 'suspect' && h.incarnation === cur.incarnation) return false
    return !supersedes({ state: KIND_TO_STATE[h.kind], incarnation: h.incarnation }, cur)
  }

  /** Counts a claim that isStale() recognised from its header (and notes a correction it calls for). */
  countStale(h: ClaimHeader): void {
    this.ctx.stats.updatesStale++
    this.noteStale(h.id, h.kind, h.incarnation)
  }

  /** Receives scanned claims: the stale ones are counted from their headers, the others decoded and received. */
  receiveScanned(claims: ScannedClaims, via: Via): void {
    while (claims.next()) {
      const h = claims.header()
      if (this.isStale(h)) this.countStale(h)
      else this.receive(claims.update(), via)
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

  /** Cancels every suspicion timer (on stop). */
  cancelTimers(): void {
    for (const r of this.ctx.list.values()) {
      r.suspicion?.cancel()
      r.suspicion = undefined
    }
  }

  private drop(u: Update, reason: DropReason): undefined {
    this.ctx.stats.drops[reason]++
    this.ctx.log.trace('dropped claim about %s from %s: %s', u.id, u.from, reason)
    return undefined
  }

  /** An accuser whose word counts: ourselves, or a member we hold alive or suspect (and admitted). */
  private trustedAccuser(id: string): boolean {
    if (id === this.ctx.selfId) return !this.own.state.leaving
    const r = this.ctx.list.get(id)
    return r !== undefined && isLive(r.state) && this.ctx.admitted(id)
  }

  private noteStale(id: string, kind: Kind, incarnation: number): void {
    const out = this.corrections
    if (out === undefined || !isAccusation(kind)) return
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

  /** Another accuser of a suspicion we hold (a SUSPECT or, from someone else, a DEAD): Lifeguard. */
  private confirm(r: MemberRecord, u: Update, via: Via | undefined): Promise<void> | undefined {
    if (!this.ctx.config.lifeguard || r.suspicion === undefined) return undefined
    const record = () => {
      if (r.state !== 'suspect' || r.incarnation !== u.incarnation || r.suspicion === undefined) return
      if (r.suspicion.confirm(u.from)) {
        r.reason = { ...r.reason!, confirmations: r.suspicion.confirmations }
        this.enqueue(u) // pass the confirmation on, so that others shorten their timers too
      }
    }
    if (via === undefined)
      record() // our own, signed by us just now
    else return this.verify(u, via, record)
    return undefined
  }

  private verify(u: Update, via: Via, then: () => void): Promise<void> | undefined {
    const cluster = this.ctx.config.cluster
    return this.ctx.verification.check(u.from, () => updateSigningBytes(u, cluster), u.signature, via, then)
  }

  /**
   * A claim about us. Stale ones are counted (and answered, if accusations). Anything else is
   * checked before we act: an accusation must name an incarnation we announced and carry its
   * accuser's signature; an alive or leave at or above ours must be ours (a previous run with our
   * key). Only then do we refute.
   */
  private aboutSelf(u: Update, via: Via): Promise<void> | undefined {
    if (this.own.isStale(u)) {
      this.ctx.stats.updatesStale++
      this.noteStale(u.id, u.kind, u.incarnation)
      return undefined
    }
    if (isAccusation(u.kind)) {
      // Any member we know may accuse us, even one we hold dead: after a partition each side
      // holds the other dead, and refuting is how the halves meet again. Refuting costs us one
      // incarnation, and only for a signed accusation naming our current one.
      const accuser = this.ctx.list.get(u.from)
      if (accuser === undefined || !this.ctx.admitted(u.from)) return this.drop(u, 'untrusted-accuser')
      if (u.incarnation > this.own.state.incarnation) return this.drop(u, 'future-incarnation')
    }
    return this.verify(u, via, () => this.own.refute(u))
  }

  private apply(u: Update, via: Via, gossip = true, failedProbes: FailedProbe[] = []): void {
    const { ctx } = this
    unpin(u) // kept in the table: it must not hold the whole message it came in
    let r = ctx.list.get(u.id)
    const now = ctx.clock.now()
    if (r === undefined) {
      if (!this.admission.admitNew(u.id, via.join === true ? undefined : via.from)) return
      ctx.stats.updatesApplied++
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
      ctx.aliveApplied(r)
      return
    }
    if (u.kind === Kind.DEAD && u.from !== ctx.selfId && isLive(r.state)) {
      // someone else's verdict about a member we hold alive: an accusation, which starts our own
      // suspicion (the accused can still refute it); our timer decides
      this.suspect(r, u, gossip, failedProbes)
      return
    }
    ctx.stats.updatesApplied++
    const prev = r.state
    if (ctx.list.setState(r, KIND_TO_STATE[u.kind], u.incarnation)) r.stateChangedAt = now
    if (gossip) this.enqueue(u)
    if (u.kind === Kind.ALIVE) {
      this.clearSuspicion(r)
      r.stateClaim = undefined
      const changed = !sameAddrs(r.addrs, u.addrs) || !sameBytes(r.metadata, u.metadata)
      r.addrs = u.addrs
      r.metadata = u.metadata
      r.aliveClaim = u
      ctx.aliveApplied(r)
      if (prev === 'suspect') ctx.emitMember('member:alive', r)
      else if (prev === 'dead' || prev === 'left') ctx.emitMember('member:join', r)
      else if (changed) ctx.emitMember('member:update', r)
      // the explanation went out with the event; an alive member keeps none (under loss every
      // record would otherwise keep the last suspicion's, N^2 explanations across a cluster)
      r.reason = undefined
      return
    }
    r.stateClaim = u
    if (u.kind === Kind.SUSPECT) {
      this.startSuspicion(r, u.from, failedProbes)
      return
    }
    this.clearSuspicion(r)
    this.admission.buried(r.id, now)
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

  /** A member we held alive is now suspect on `u`'s word (a suspicion, or someone else's DEAD). */
  private suspect(r: MemberRecord, u: Update, gossip: boolean, failedProbes: FailedProbe[]): void {
    const { ctx } = this
    ctx.stats.updatesApplied++
    if (ctx.list.setState(r, 'suspect', u.incarnation)) r.stateChangedAt = ctx.clock.now()
    r.stateClaim = u
    if (gossip) this.enqueue(u)
    this.startSuspicion(r, u.from, failedProbes)
  }

  private startSuspicion(r: MemberRecord, accuser: string, failedProbes: FailedProbe[]): void {
    const { ctx } = this
    const { config } = ctx
    this.clearSuspicion(r)
    ctx.stats.suspicions++
    const min = suspicionTimeout(config.suspicionMult, ctx.clusterSize(), config.probeIntervalMs)
    const max = config.lifeguard ? config.suspicionMaxTimeoutMult * min : min
    // Lifeguard expects suspicionMult - 2 confirmations, or none when the cluster is too small to
    // give them (neither the accuser nor the suspect can confirm): memberlist suspectNode. With
    // probe rings only the suspect's other probers probe it, probeRings - 1 at most: waiting for
    // more would hold every suspicion to the longest timeout.
    const probers = config.probeRings > 0 ? config.probeRings - 1 : Number.POSITIVE_INFINITY
    const expected = Math.min(config.suspicionMult - 2, probers)
    const k = config.lifeguard && ctx.clusterSize() - 2 >= expected ? expected : 0
    const incarnation = r.incarnation
    r.reason = { accuser, suspectedAt: ctx.clock.now(), confirmations: [], failedProbes }
    r.suspicion = new Suspicion(
      ctx.clock,
      accuser,
      k,
      min,
      max,
      (durationMs) => {
        r.suspicion = undefined
        if (r.state !== 'suspect' || r.incarnation !== incarnation) return
        r.reason = { ...r.reason!, suspicionTimeoutMs: durationMs }
        this.accuse(r, Kind.DEAD, failedProbes)
      },
      config.stallAwareness ? config.probeTimeoutMs : 0,
    )
    ctx.emitMember('member:suspect', r)
  }

  /**
   * We accuse a member ourselves: sign the claim, then apply it as any claim would be (our own
   * DEAD, after our own suspicion timer ran out, is the one verdict we act on at once).
   */
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
      const cur = this.ctx.list.get(r.id)
      if (cur !== r || r.incarnation !== signed.incarnation) return // refuted or reaped meanwhile
      if (kind === Kind.DEAD) {
        if (r.state === 'suspect') this.apply(signed, LOCAL_OWN)
        return
      }
      const verdict = classify(signed, r)
      if (verdict === 'confirmation') this.confirm(r, signed, undefined)
      else if (verdict === 'news') this.apply(signed, LOCAL_OWN, true, failedProbes)
    })
  }

  private clearSuspicion(r: MemberRecord): void {
    r.suspicion?.cancel()
    r.suspicion = undefined
  }

  /** Queues a claim for gossip, unless it can never fit a packet (push-pull still carries it). */
  private enqueue(u: Update): void {
    const size = updateSize(u)
    if (size + UPDATE_FRAMING > this.ctx.config.packetBudgetBytes) {
      this.ctx.stats.unsendable++
      return
    }
    this.ctx.queue.enqueue(u.id, u, size)
  }
}

/** Our own claims: made here, nothing to charge. */
const LOCAL_OWN: Via = {}

/** A claim's tag and length prefix inside a packet, at most (see the Outbox's budget). */
const UPDATE_FRAMING = 3

function sameAddrs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
