import type { Clock, TimerId } from '../clock.ts'

interface Timer {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
  /** Popped (fired or dropped): cancelling it now changes nothing. */
  done: boolean
}

/**
 * Virtual time for tests and simulations: timers fire only when `advance()` moves time past
 * them, in time order (ties in the order they were set). A binary heap keeps it fast with
 * tens of thousands of pending timers.
 */
export class ManualClock implements Clock {
  private time: number
  private seq = 0
  private heap: Timer[] = []
  /** Cancelled timers still in the heap. */
  private cancelled = 0

  constructor(start = 0) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const t: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, cancelled: false, done: false }
    this.push(t)
    return t
  }

  clearTimeout(id: TimerId): void {
    if (id === undefined || id === null) return
    const t = id as Timer
    if (t.cancelled || t.done) return
    t.cancelled = true
    t.fn = noop // let go of what the callback holds
    // Cancelled timers wait in the heap for their time; when they are most of it (long timers
    // cancelled early, like refuted suspicions), drop them all at once. Any heap of the same
    // timers pops them in the same (time, seq) order.
    if (++this.cancelled > 1024 && this.cancelled > this.heap.length / 2) this.compact()
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
      top.done = true
      if (top.cancelled) {
        this.cancelled--
        continue
      }
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

  private compact(): void {
    this.heap = this.heap.filter((t) => !t.cancelled).sort((a, b) => (before(a, b) ? -1 : 1)) // sorted is a heap
    this.cancelled = 0
  }

  private push(t: Timer): void {
    const h = this.heap
    let i = h.length
    h.push(t)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(t, h[parent])) break
      h[i] = h[parent]
      i = parent
    }
    h[i] = t
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    const n = h.length
    if (n === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(h[r], h[l]) ? r : l
      if (!before(h[c], last)) break
      h[i] = h[c]
      i = c
    }
    h[i] = last
  }
}

function noop(): void {}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** Lets chained promise continuations run (a bounded number of microtask turns). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve()
}
