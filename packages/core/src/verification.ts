import type { Context, Via } from './context.ts'
import { whenReady } from './context.ts'
import { KeyedRateLimit } from './rate-limit.ts'
import { unsigned } from './transport.ts'

/**
 * Every signature check of the engine, within each peer's budget (maxVerifiesPerPeerPerSecond):
 * a claim or event past its sender's budget is shed unchecked, and counted (verify-shed). The
 * answer to our own join is not limited (we asked for it). `signer` is who must have signed.
 */
export class Verification {
  private readonly budget: KeyedRateLimit
  /** Checks made so far, only ever counted up (PushPullSync's batches measure their own from it). */
  checks = 0

  constructor(private readonly ctx: Pick<Context, 'config' | 'clock' | 'stats' | 'log' | 'verifier'>) {
    this.budget = new KeyedRateLimit(() => ctx.config.maxVerifiesPerPeerPerSecond)
  }

  /**
   * Runs `then` if `signature` over `bytes()` is `signer`'s; counts a bad signature or a shed
   * check. Returns a promise only while an asynchronous verifier is pending.
   */
  check(
    signer: string,
    bytes: () => Uint8Array,
    signature: Uint8Array,
    via: Via,
    then: () => void,
  ): Promise<void> | undefined {
    const { ctx } = this
    if (ctx.verifier === unsigned) {
      // accepts everything: skip encoding the signed bytes (the bulk of a simulation's work)
      then()
      return undefined
    }
    if (via.from !== undefined && via.join !== true && !this.budget.take(via.from, ctx.clock.now())) {
      ctx.stats.drops['verify-shed']++
      return undefined
    }
    this.checks++
    const fail = (err?: unknown) => {
      ctx.stats.drops['bad-signature']++
      ctx.log.trace('bad signature by %s %s', signer, err ?? '')
    }
    return whenReady(
      () => ctx.verifier.verify(signer, bytes(), signature),
      (ok) => (ok ? then() : fail()),
      fail,
    )
  }
}
