/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerId = unknown

/**
 * The engine's only source of time. Inject {@link systemClock} in production and a
 * `ManualClock` (from `@murmur/core/testing`) in tests and simulations.
 */
export interface Clock {
  /** Milliseconds on a monotonic-enough timeline. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerId
  clearTimeout(id: TimerId): void
}

/** Wall-clock time and the host's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // a membership node must not keep a process alive on its own timers
    ;(t as { unref?: () => void }).unref?.()
    return t
  },
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
}
