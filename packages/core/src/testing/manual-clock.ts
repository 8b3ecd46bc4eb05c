import type { Clock, TimerId } from '../clock.ts'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/**
 * Virtual time for tests and simulations: timers fire only when `advance()` moves time past
 * them, in time order (ties in the order they were set). A binary heap keeps it fast with
 * tens of thousands of pending timers.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private readonly heap: Timer[] = []

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false }
    this.push(t)
    return t
  }

  clearTimeout(id: TimerId): void {
    if (id !== undefined && id !== null) (id as Timer).cancelled = true
  }

  /** Pending (not cancelled) timers. */
  get pending(): number {
    return this.heap.filter((t) => !t.cancelled).length
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      const top = this.heap[0]
      if (top === undefined || top.at > end) break
      this.pop()
      if (top.cancelled) continue
      this.time = top.at
      top.fn()
    }
    this.time = end
  }

  /**
   * Advances in steps of `stepMs`, letting promise continuations run between steps (push-pull
   * requests resolve through promises). Use this to drive anything that awaits.
   */
  async run(ms: number, stepMs = 10): Promise<void> {
    const end = this.time + ms
    while (this.time < end) {
      this.advance(Math.min(stepMs, end - this.time))
      await flushMicrotasks()
    }
  }

  private push(t: Timer): void {
    const h = this.heap
    h.push(t)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(h[i], h[parent])) break
      ;[h[i], h[parent]] = [h[parent], h[i]]
      i = parent
    }
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && before(h[l], h[m])) m = l
      if (r < h.length && before(h[r], h[m])) m = r
      if (m === i) break
      ;[h[i], h[m]] = [h[m], h[i]]
      i = m
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** Lets chained promise continuations run (a bounded number of microtask turns). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve()
}
