import { KIND_TO_STATE, Kind, owned, type Update, updateSigningBytes, updateSize } from './codec/index.ts'
import { MAX_INCARNATION } from './constants.ts'
import { type Context, whenReady } from './context.ts'

/** This node's own claims. */
export interface SelfState {
  incarnation: number
  addrs: readonly string[]
  metadata: Uint8Array
  leaving: boolean
  aliveClaim?: Update
  leaveClaim?: Update
  /** Our report's digest and size, announced in our alive claims (the body is in Reports). */
  report?: { digest: Uint8Array; size: number }
}

const EMPTY = new Uint8Array(0)

/**
 * What this node says about itself: its alive claim (announced at start and on every change of
 * addresses or metadata), its refutations of accusations and its leave, each signed with our key
 * and queued for gossip. Also signs our accusations of others (signOwn).
 */
export class SelfClaims {
  readonly state: SelfState

  constructor(
    private readonly ctx: Context,
    addrs: readonly string[],
    metadata: Uint8Array,
    /** Where our incarnation starts: above any our key signed in an earlier run (see MembershipInit). */
    incarnation = 0,
  ) {
    this.state = { incarnation, addrs, metadata, leaving: false }
  }

  /**
   * Signs and announces a fresh alive claim for ourselves (at a higher incarnation when `bump`).
   * Incarnations never wrap: at MAX_INCARNATION nothing is announced, and that is logged as an
   * error (our claims would otherwise become stale everywhere).
   */
  announce(bump = true, done?: () => void): void {
    const self = this.state
    if (bump) {
      if (!this.raise(self.incarnation)) {
        done?.()
        return
      }
    }
    this.signOwn(
      {
        kind: Kind.ALIVE,
        id: this.ctx.selfId,
        incarnation: self.incarnation,
        from: this.ctx.selfId,
        addrs: [...self.addrs],
        metadata: owned(self.metadata),
        signature: EMPTY,
        ...(self.report === undefined ? {} : { reportDigest: owned(self.report.digest), reportSize: self.report.size }),
      },
      (signed) => {
        if (signed.incarnation === self.incarnation && !self.leaving) {
          self.aliveClaim = signed
          this.enqueue(signed)
        }
        done?.()
      },
    )
  }

  /** Signs and announces our leave; `then` runs once it is queued. */
  announceLeave(then: (claim: Update) => void): void {
    const self = this.state
    self.leaving = true
    const claim: Update = {
      kind: Kind.LEFT,
      id: this.ctx.selfId,
      incarnation: self.incarnation,
      from: this.ctx.selfId,
      addrs: [],
      metadata: EMPTY,
      signature: EMPTY,
    }
    this.signOwn(claim, (signed) => {
      self.leaveClaim = signed
      this.enqueue(signed)
      then(signed)
    })
  }

  /** Is a claim about us at this incarnation surely stale (nothing to refute, nothing to learn)? */
  isStale(u: Pick<Update, 'kind' | 'incarnation'>): boolean {
    const self = this.state
    if (self.leaving || u.incarnation < self.incarnation) return true
    return u.kind === Kind.ALIVE && u.incarnation === self.incarnation // our own current claim, echoed back
  }

  /**
   * Refutes a claim about us that is not stale: an accusation, or one of our own older lives (an
   * alive or a leave signed by a previous run with the same key). The caller has checked it.
   */
  refute(u: Update): void {
    const self = this.state
    if (this.isStale(u)) return
    this.ctx.stats.refutes++
    if (this.ctx.config.lifeguard && (u.kind === Kind.SUSPECT || u.kind === Kind.DEAD)) this.ctx.awareness.apply(1)
    this.ctx.log('refuting %s claim at incarnation %d', KIND_TO_STATE[u.kind], u.incarnation)
    // an accusation names at most our own incarnation (the table checked); an older life of ours
    // may be ahead of this run: either way we go one above
    if (this.raise(Math.max(self.incarnation, u.incarnation))) this.announce(false)
  }

  /** Sets our incarnation to `above` + 1; false (and an error logged) when that would wrap. */
  private raise(above: number): boolean {
    if (above >= MAX_INCARNATION) {
      this.ctx.stats.incarnationExhausted++
      this.ctx.log.error('incarnation %d is the largest a claim can carry: not announcing a higher one', above)
      return false
    }
    this.state.incarnation = above + 1
    return true
  }

  /** Our claim that overrides an accusation of us at `incarnation`: our leave or a newer alive. */
  overriding(incarnation: number): Update | undefined {
    const self = this.state
    if (self.leaving) return self.leaveClaim
    const own = self.aliveClaim
    return own !== undefined && own.incarnation > incarnation ? own : undefined
  }

  /** Signs a claim of ours (about us, or an accusation of another). */
  signOwn(u: Update, then: (signed: Update) => void): void {
    whenReady(
      () => this.ctx.signer.sign(updateSigningBytes(u, this.ctx.config.cluster)),
      (signature) => then({ ...u, signature: owned(signature) }),
      (err) => this.ctx.log.error('could not sign our own %s claim: %s', KIND_TO_STATE[u.kind], err),
    )
  }

  private enqueue(u: Update): void {
    this.ctx.queue.enqueue(u.id, u, updateSize(u))
  }
}
