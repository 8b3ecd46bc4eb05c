import type { Clock, TimerId } from './clock.ts'

/**
 * The shortest suspicion timeout: `suspicionMult * max(1, log10(n)) * probeIntervalMs`
 * (memberlist suspicionTimeout; n = members known, including ourselves).
 */
export function suspicionTimeout(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, n)))
  return Math.floor(suspicionMult * scale * probeIntervalMs)
}

/**
 * Lifeguard's dogpile: how long a suspicion lasts in total, given `confirmations` independent
 * confirmations out of the `k` expected. Starts at `max`, falls logarithmically to `min`.
 */
export function suspicionDuration(confirmations: number, k: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs
  const frac = Math.log(confirmations + 1) / Math.log(k + 1)
  const raw = Math.floor(maxMs - frac * (maxMs - minMs))
  return Math.max(minMs, raw)
}

/**
 * One suspicion timer. It fires `onTimeout` once the (shrinking) duration has elapsed since it
 * started. Confirmations from distinct members (not the first accuser) shorten it.
 */
export class Suspicion {
  readonly startedAt: number
  readonly accuser: string
  private readonly confirmers = new Set<string>()
  private timer: TimerId | undefined
  private fired = false

  constructor(
    private readonly clock: Clock,
    accuser: string,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onTimeout: (durationMs: number) => void,
    /**
     * A timer that fires later than this past its due time means the host stalled (a blocked
     * event loop, a suspended VM): the verdict then waits this long once more, so that what the
     * sockets hold (a refutation, most likely) is read before anyone is declared dead. 0: never.
     */
    private readonly stallGraceMs = 0,
  ) {
    this.startedAt = clock.now()
    this.accuser = accuser
    this.schedule()
  }

  get confirmations(): string[] {
    return [...this.confirmers]
  }

  /** No further confirmation can shorten it. */
  get saturated(): boolean {
    return this.confirmers.size >= this.k
  }

  /** Current total duration given the confirmations so far. */
  get durationMs(): number {
    return suspicionDuration(this.confirmers.size, this.k, this.minMs, this.maxMs)
  }

  /** Records an independent confirmation; returns true when it was new (and so worth regossiping). */
  confirm(from: string): boolean {
    if (this.fired || from === this.accuser || this.confirmers.has(from)) return false
    if (this.confirmers.size >= this.k) return false
    this.confirmers.add(from)
    this.schedule()
    return true
  }

  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private schedule(): void {
    this.cancel()
    const duration = this.durationMs
    const remaining = Math.max(0, this.startedAt + duration - this.clock.now())
    const due = this.startedAt + duration
    const fire = () => {
      this.timer = undefined
      this.fired = true
      this.onTimeout(duration)
    }
    this.timer = this.clock.setTimeout(() => {
      if (this.stallGraceMs > 0 && this.clock.now() - due > this.stallGraceMs) {
        this.timer = this.clock.setTimeout(fire, this.stallGraceMs)
        return
      }
      fire()
    }, remaining)
  }
}
