/**
 * Lifeguard's local health: a score in [0, max - 1]. Missed nacks and having to refute raise
 * it, successful probes lower it. Probe intervals and timeouts are multiplied by (score + 1),
 * so a node that is itself slow gives others more time before it accuses them.
 */
export class Awareness {
  private score = 0
  constructor(private readonly max: number) {}

  get healthScore(): number {
    return this.score
  }

  /** Adds delta (may be negative), clamped; returns the new score. */
  apply(delta: number): number {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta))
    return this.score
  }

  /** A timeout stretched by the current health multiplier. */
  scale(ms: number): number {
    return ms * (this.score + 1)
  }
}
