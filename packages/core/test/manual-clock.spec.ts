import assert from 'node:assert/strict'
import { flushMicrotasks, ManualClock } from '@murmur/core/testing'

describe('ManualClock', () => {
  it('fires due timers in time order, ties in the order they were set, with now() at their time', () => {
    const clock = new ManualClock(100)
    const log: string[] = []
    clock.setTimeout(() => log.push(`c@${clock.now()}`), 30)
    clock.setTimeout(() => log.push(`a@${clock.now()}`), 10)
    clock.setTimeout(() => log.push(`b1@${clock.now()}`), 20)
    clock.setTimeout(() => log.push(`b2@${clock.now()}`), 20)
    clock.advance(25)
    assert.deepEqual(log, ['a@110', 'b1@120', 'b2@120'])
    assert.equal(clock.now(), 125)
    clock.advance(100)
    assert.deepEqual(log, ['a@110', 'b1@120', 'b2@120', 'c@130'])
  })

  it('fires timers set by timers within the same advance, and never cancelled ones', () => {
    const clock = new ManualClock()
    const log: number[] = []
    const t = clock.setTimeout(() => log.push(-1), 5)
    clock.setTimeout(() => {
      log.push(clock.now())
      clock.setTimeout(() => log.push(clock.now()), 0)
      clock.setTimeout(() => log.push(clock.now()), 3)
    }, 2)
    clock.clearTimeout(t)
    clock.clearTimeout(undefined)
    assert.equal(clock.pending, 1)
    clock.advance(10)
    assert.deepEqual(log, [2, 2, 5])
    assert.equal(clock.pending, 0)
  })

  it('drops cancelled timers once they are most of the heap, keeping the order of the rest', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const ids = Array.from({ length: 5000 }, (_, i) => clock.setTimeout(() => fired.push(i), 1000 + (i % 97)))
    ids.forEach((id, i) => {
      if (i % 10 !== 0) clock.clearTimeout(id)
    })
    clock.clearTimeout(ids[1]) // twice: counted once
    assert.equal(clock.pending, 500)
    assert.ok((clock as unknown as { heap: unknown[] }).heap.length < 2000, 'the cancelled ones were dropped')
    clock.advance(2000)
    const expected = Array.from({ length: 500 }, (_, k) => k * 10).sort((a, b) => (a % 97) - (b % 97) || a - b)
    assert.deepEqual(fired, expected)
    clock.clearTimeout(ids[0]) // already fired: nothing happens
    assert.equal(clock.pending, 0)
  })

  it('run() lets promise continuations happen between steps', async () => {
    const clock = new ManualClock()
    const log: number[] = []
    const wait = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms))
    const task = (async () => {
      await wait(10)
      log.push(clock.now())
      await wait(10)
      log.push(clock.now())
    })()
    await clock.run(50, 5)
    await task
    assert.deepEqual(log, [10, 20])
    await flushMicrotasks()
  })
})
