import {
  type ClaimHeader,
  KIND_TO_STATE,
  Kind,
  owned,
  type ScannedClaims,
  type Update,
  updateSigningBytes,
  updateSize,
} from './codec/index.ts'
import { type Context, whenReady } from './context.ts'
import { type FailedProbe, supersedes } from './member.ts'
import { isLive, type MemberRecord } from './member-list.ts'
import { Suspicion, suspicionTimeout } from './suspicion.ts'
import { unsigned } from './transport.ts'

/** This node's own claims. */
interface SelfState {
  incarnation: number
  addrs: readonly string[]
  metadata: Uint8Array
  leaving: boolean
  aliveClaim?: Update
  leaveClaim?: Update
}

const EMPTY = new Uint8Array(0)

/**
 * Applies claims to the member list by SWIM's precedence rules: validates, checks precedence
 * before spending a signature check, verifies, applies, emits, and queues the claim for gossip.
 * Refutes accusations about ourselves. Owns the suspicion timers and the tombstones.
 */
export class ClaimTable {
  readonly self: SelfState
  private readonly tombstones = new Set<string>()
  /** While a packet is handled: our newer claims answering stale accusations in it. */
  private corrections: Update[] | undefined

  constructor(
    private readonly ctx: Context,
    addrs: readonly string[],
    metadata: Uint8Array,
  ) {
    this.self = { incarnation: 0, addrs, metadata, leaving: false }
  }

  /** Signs and announces a fresh alive claim for ourselves at a higher incarnation. */
  announceSelf(bump = true, done?: () => void): void {
    if (bump) this.self.incarnation++
    this.signOwn(
      {
        kind: Kind.ALIVE,
        id: this.ctx.selfId,
        incarnation: this.self.incarnation,
        from: this.ctx.selfId,
        addrs: [...this.self.addrs],
        metadata: owned(this.self.metadata),
        signature: EMPTY,
      },
      (signed) => {
        if (signed.incarnation === this.self.incarnation && !this.self.leaving) {
          this.self.aliveClaim = signed
          this.enqueue(signed)
        }
        done?.()
      },
    )
  }

  /** Signs and announces our leave; `then` runs once it is queued. */
  announceLeave(then: (claim: Update) => void): void {
    this.self.leaving = true
    const claim: Update = {
      kind: Kind.LEFT,
      id: this.ctx.selfId,
      incarnation: this.self.incarnation,
      from: this.ctx.selfId,
      addrs: [],
      metadata: EMPTY,
      signature: EMPTY,
    }
    this.signOwn(claim, (signed) => {
      this.self.leaveClaim = signed
      this.enqueue(signed)
      then(signed)
    })
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
      this.accuse(r, Kind.SUSPECT, failedProbes) // relevant() routes it to confirm()
    }
  }

  /**
   * A claim from the network. Returns a promise only while an asynchronous signature check is
   * pending (push-pull uses it to bound the work in flight). `gossip` false applies it without
   * queueing it for retransmission (restoring known state is not news).
   */
  receive(u: Update, gossip = true): Promise<void> | undefined {
    const problem = this.invalid(u)
    if (problem !== undefined) {
      this.ctx.stats.drops[problem]++
      this.ctx.log.trace('dropped claim about %s from %s: %s', u.id, u.from, problem)
      return undefined
    }
    if (u.id === this.ctx.selfId) return this.aboutSelf(u)
    if (!this.relevant(u)) return undefined
    return this.verify(u, () => {
      if (this.relevant(u)) this.apply(u, gossip)
    })
  }

  /**
   * Would receive() do nothing with a claim of this header but count it stale? Only answers yes
   * when every check receive() makes is sure to pass and the claim is sure not to be news; on
   * any doubt, no (the caller then decodes the claim and receives it).
   */
  isStale(h: ClaimHeader): boolean {
    const { config, selfId, list } = this.ctx
    if (h.id === '' || h.id === selfId || h.id.length > 256) return false
    // A lenient UTF-8 decode makes at most two characters of a byte, so these byte bounds keep
    // `from` under 256 characters and every address under 1024, as invalid() wants.
    if (h.fromBytes === 0 || h.fromBytes > 128) return false
    if ((h.kind === Kind.ALIVE || h.kind === Kind.LEFT) && !h.fromIsId) return false
    if (h.metadataBytes > config.maxMetadataBytes) return false
    if (h.addrs > config.maxAddrsPerMember || h.maxAddrBytes > 512) return false
    const cur = list.get(h.id)
    if (cur === undefined) return false
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
    if (id === this.ctx.selfId) {
      const self = this.self
      if (self.leaving) return self.leaveClaim
      const own = self.aliveClaim
      return own !== undefined && own.incarnation > incarnation ? own : undefined
    }
    const r = this.ctx.list.get(id)
    if (r === undefined) return undefined
    if (r.state === 'left') return r.stateClaim
    const alive = r.aliveClaim
    return isLive(r.state) && alive !== undefined && alive.incarnation > incarnation ? alive : undefined
  }

  private invalid(u: Update): 'invalid-claim' | 'forged-origin' | 'too-large' | undefined {
    const { config } = this.ctx
    if (u.id === '' || u.from === '' || KIND_TO_STATE[u.kind] === undefined) return 'invalid-claim'
    if ((u.kind === Kind.ALIVE || u.kind === Kind.LEFT) && u.from !== u.id) return 'forged-origin'
    if (u.metadata.byteLength > config.maxMetadataBytes) return 'too-large'
    if (u.addrs.length > config.maxAddrsPerMember || u.addrs.some((a) => a.length > 1024)) return 'too-large'
    if (u.id.length > 256 || u.from.length > 256) return 'invalid-claim'
    return undefined
  }

  /** Would this claim change our view? Counts confirmations and stale claims on the way. */
  private relevant(u: Update): boolean {
    const cur = this.ctx.list.get(u.id)
    const state = KIND_TO_STATE[u.kind]
    if (cur === undefined) {
      if (u.kind === Kind.ALIVE) return true
      this.ctx.stats.drops['unknown-member']++
      return false
    }
    if (u.kind === Kind.SUSPECT && cur.state === 'suspect' && u.incarnation === cur.incarnation) {
      // another accusation of the same suspicion: an independent confirmation (Lifeguard)
      if (cur.suspicion !== undefined && u.from !== cur.suspicion.accuser) this.confirm(cur, u)
      else this.ctx.stats.updatesStale++
      return false
    }
    if (supersedes({ state, incarnation: u.incarnation }, cur)) return true
    this.ctx.stats.updatesStale++
    this.noteStale(u.id, u.kind, u.incarnation)
    return false
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
    const self = this.self
    if (self.leaving || u.incarnation < self.incarnation) {
      this.ctx.stats.updatesStale++
      this.noteStale(u.id, u.kind, u.incarnation)
      return undefined
    }
    if (u.kind === Kind.ALIVE && u.incarnation === self.incarnation) {
      this.ctx.stats.updatesStale++ // our own current claim, echoed back
      return undefined
    }
    // An accusation (suspect, dead) or one of our own older lives (an alive or a leave signed
    // by a previous run with the same key): refute with a higher incarnation.
    const mustBeOurs = u.kind === Kind.ALIVE || u.kind === Kind.LEFT
    const refute = () => {
      if (self.leaving || u.incarnation < self.incarnation) return
      this.ctx.stats.refutes++
      if (this.ctx.config.lifeguard && (u.kind === Kind.SUSPECT || u.kind === Kind.DEAD)) this.ctx.awareness.apply(1)
      self.incarnation = u.incarnation
      this.ctx.log('refuting %s claim at incarnation %d', KIND_TO_STATE[u.kind], u.incarnation)
      this.announceSelf()
    }
    if (mustBeOurs) return this.verify(u, refute)
    refute()
    return undefined
  }

  private apply(u: Update, gossip = true): void {
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
      this.startSuspicion(r, u.from, [])
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

  /** We accuse a member ourselves: sign the claim, apply it locally, gossip it. */
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
    this.signOwn(claim, (signed) => {
      if (!this.relevant(signed)) return
      if (kind === Kind.SUSPECT) {
        this.ctx.list.setState(r, 'suspect', r.incarnation)
        r.stateChangedAt = this.ctx.clock.now()
        r.stateClaim = signed
        this.ctx.stats.updatesApplied++
        this.enqueue(signed)
        this.startSuspicion(r, this.ctx.selfId, failedProbes)
      } else {
        this.apply(signed)
      }
    })
  }

  private clearSuspicion(r: MemberRecord): void {
    r.suspicion?.cancel()
    r.suspicion = undefined
  }

  private enqueue(u: Update): void {
    this.ctx.queue.enqueue(u.id, u, updateSize(u))
  }

  private signOwn(u: Update, then: (signed: Update) => void): void {
    whenReady(
      () => this.ctx.signer.sign(updateSigningBytes(u)),
      (signature) => then({ ...u, signature: owned(signature) }),
      (err) => this.ctx.log.error('could not sign our own %s claim: %s', KIND_TO_STATE[u.kind], err),
    )
  }
}

function sameAddrs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}
