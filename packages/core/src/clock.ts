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

/**
 * The wall-clock time when this module loaded, plus the monotonic time since. It reads as a date
 * (members' timestamps are shown as such) but never jumps: an NTP step of the wall clock can
 * neither fire nor hold back a suspicion timer, nor reap a tombstone early.
 */
const ORIGIN = Date.now() - performance.now()

/** Monotonic time (anchored to the wall clock at start) and the host's timers. */
export const systemClock: Clock = {
  now: () => ORIGIN + performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    // a membership node must not keep a process alive on its own timers
    ;(t as { unref?: () => void }).unref?.()
    return t
  },
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
}
