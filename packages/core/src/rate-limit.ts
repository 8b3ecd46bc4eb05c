/**
 * Token buckets per key (a peer id) with lazy refill, and a bound on how many keys are tracked:
 * when it is reached the map starts over, which only ever gives a peer a fresh burst, never
 * more than `ratePerSecond` sustained per key and the total bound on keys in memory.
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly ratePerSecond: () => number,
    private readonly maxKeys = 4096,
  ) {}

  /** Takes `n` tokens from `key`'s bucket at time `now` (ms); false (nothing taken) when it holds fewer. */
  take(key: string, now: number, n = 1): boolean {
    const rate = this.ratePerSecond()
    const burst = 2 * rate
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear()
      b = { tokens: burst, at: now }
      this.buckets.set(key, b)
    } else {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000)
      b.at = now
    }
    if (b.tokens < n) return false
    b.tokens -= n
    return true
  }
}
