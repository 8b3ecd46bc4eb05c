import assert from 'node:assert/strict'
import { suspicionDuration, suspicionTimeout } from '@murmur/core'
import { ManualClock } from '@murmur/core/testing'
import { Suspicion } from '../src/suspicion.ts'

describe('suspicionTimeout', () => {
  // suspicionMult * max(1, log10(max(1, n))) * probeIntervalMs, floored
  const table: Array<[number, number, number, number]> = [
    [4, 0, 1000, 4000],
    [4, 1, 1000, 4000],
    [4, 2, 1000, 4000],
    [4, 10, 1000, 4000],
    [4, 50, 1000, 6795],
    [4, 100, 1000, 8000],
    [4, 1000, 1000, 12000],
    [4, 10000, 1000, 16000],
    [6, 1000, 5000, 90000],
    [3, 5, 1000, 3000],
  ]
  for (const [mult, n, interval, expected] of table) {
    it(`mult ${mult}, n ${n}, interval ${interval} ms -> ${expected} ms`, () => {
      assert.equal(suspicionTimeout(mult, n, interval), expected)
    })
  }
})

describe('suspicionDuration (Lifeguard dogpile)', () => {
  // memberlist suspicion_test.go TestSuspicion_remainingSuspicionTime, as totals (min 2 s, max 30 s)
  const table: Array<[number, number, number]> = [
    [0, 3, 30000],
    [1, 3, 16000],
    [2, 3, 7810],
    [3, 3, 2000],
    [4, 3, 2000], // more confirmations than expected never go below the minimum
    [5, 3, 2000],
    [0, 0, 2000], // nothing expected: the minimum straight away (Lifeguard off, or a tiny cluster)
    [3, 0, 2000],
    [0, 2, 30000],
    [1, 2, 12333],
    [2, 2, 2000],
  ]
  for (const [confirmations, k, expected] of table) {
    it(`${confirmations} of k=${k} confirmations -> ${expected} ms`, () => {
      assert.equal(suspicionDuration(confirmations, k, 2000, 30000), expected)
    })
  }

  it('never grows with more confirmations', () => {
    for (let k = 1; k <= 6; k++) {
      let last = Number.POSITIVE_INFINITY
      for (let c = 0; c <= k + 2; c++) {
        const d = suspicionDuration(c, k, 1000, 60000)
        assert.ok(d <= last, `k=${k} c=${c}: ${d} > ${last}`)
        assert.ok(d >= 1000 && d <= 60000)
        last = d
      }
    }
  })
})

describe('Suspicion timer', () => {
  function start(clock: ManualClock, k = 3) {
    const fired: Array<{ at: number; duration: number }> = []
    const s = new Suspicion(clock, 'accuser', k, 2000, 30000, (duration) => fired.push({ at: clock.now(), duration }))
    return { s, fired }
  }

  it('fires at the maximum with no confirmation, exactly once', () => {
    const clock = new ManualClock()
    const { fired } = start(clock)
    clock.advance(29_999)
    assert.equal(fired.length, 0)
    clock.advance(1)
    assert.deepEqual(fired, [{ at: 30000, duration: 30000 }])
    clock.advance(100_000)
    assert.equal(fired.length, 1)
  })

  it('shrinks with each independent confirmation, measured from the start', () => {
    const clock = new ManualClock()
    const { s, fired } = start(clock)
    clock.advance(1000)
    assert.equal(s.confirm('b'), true)
    assert.equal(s.durationMs, 16000)
    clock.advance(5000)
    assert.equal(s.confirm('c'), true)
    assert.equal(s.durationMs, 7810)
    clock.advance(1809) // t = 7809
    assert.equal(fired.length, 0)
    clock.advance(1)
    assert.deepEqual(fired, [{ at: 7810, duration: 7810 }])
    assert.deepEqual(s.confirmations.sort(), ['b', 'c'])
  })

  it('fires at once when a confirmation brings the deadline into the past', () => {
    const clock = new ManualClock()
    const { s, fired } = start(clock)
    clock.advance(20_000)
    assert.equal(s.confirm('b'), true) // duration now 16 s, already elapsed
    clock.advance(0)
    assert.deepEqual(fired, [{ at: 20000, duration: 16000 }])
  })

  it('ignores duplicate confirmations and the accuser itself', () => {
    const clock = new ManualClock()
    const { s, fired } = start(clock)
    assert.equal(s.confirm('accuser'), false)
    assert.equal(s.confirm('b'), true)
    assert.equal(s.confirm('b'), false)
    assert.equal(s.durationMs, 16000)
    assert.deepEqual(s.confirmations, ['b'])
    clock.advance(16000)
    assert.equal(fired.length, 1)
    assert.equal(s.confirm('c'), false, 'no confirmation once fired')
  })

  it('takes at most k confirmations', () => {
    const clock = new ManualClock()
    const { s } = start(clock, 2)
    assert.equal(s.confirm('b'), true)
    assert.equal(s.confirm('c'), true)
    assert.equal(s.confirm('d'), false)
    assert.equal(s.durationMs, 2000)
  })

  it('never fires once cancelled', () => {
    const clock = new ManualClock()
    const { s, fired } = start(clock)
    clock.advance(10)
    s.cancel()
    clock.advance(60_000)
    assert.equal(fired.length, 0)
  })
})

describe('Suspicion after a stall of the host', () => {
  it('a timer that fires late past the grace waits once more, so what the sockets hold is read first', () => {
    const manual = new ManualClock()
    let stalled = 0
    // the host's view of time: a stall makes `now` run ahead of the timers
    const clock = {
      ...manual,
      now: () => manual.now() + stalled,
      setTimeout: manual.setTimeout.bind(manual),
      clearTimeout: manual.clearTimeout.bind(manual),
    }
    let fired = 0
    new Suspicion(clock, 'x', 0, 1000, 1000, () => fired++, 500)
    stalled = 5000 // the event loop was blocked for 5 s: the timer comes due far too late
    manual.advance(1000)
    assert.equal(fired, 0, 'not at once')
    manual.advance(499)
    assert.equal(fired, 0)
    manual.advance(1)
    assert.equal(fired, 1, 'after one grace period')
  })

  it('on time, it fires at once (and with no grace configured, always)', () => {
    const clock = new ManualClock()
    let fired = 0
    new Suspicion(clock, 'x', 0, 1000, 1000, () => fired++, 500)
    clock.advance(1000)
    assert.equal(fired, 1)
  })
})
