import assert from 'node:assert/strict'
import { retransmitLimit } from '@murmur/core'
import { TransmitLimitedQueue } from '@murmur/core/testing'

describe('retransmitLimit', () => {
  // retransmitMult * ceil(log10(n + 1)); memberlist util_test.go TestRetransmitLimit for the first three
  const table: Array<[number, number, number]> = [
    [3, 0, 0],
    [3, 1, 3],
    [3, 99, 6],
    [4, 9, 4],
    [4, 10, 8],
    [4, 100, 12],
    [4, 1000, 16],
    [4, 10000, 20],
    [2, 30, 4],
  ]
  for (const [mult, n, expected] of table) {
    it(`mult ${mult}, n ${n} -> ${expected}`, () => {
      assert.equal(retransmitLimit(mult, n), expected)
    })
  }
})

describe('TransmitLimitedQueue', () => {
  it('keeps one item per key: a newer item supersedes the pending one', () => {
    const q = new TransmitLimitedQueue<string>(() => 3)
    q.enqueue('a', 'a@1', 10)
    q.enqueue('b', 'b@1', 10)
    q.take(100) // both sent once
    q.enqueue('a', 'a@2', 10)
    assert.equal(q.size, 2)
    assert.equal(q.remaining('a'), 3, 'the new item starts with a fresh transmit count')
    assert.equal(q.remaining('b'), 2)
    assert.deepEqual(q.take(12), ['a@2'], 'the fresh item goes first')
    assert.ok(!q.take(1000).includes('a@1'))
  })

  it('hands out the least transmitted items first', () => {
    const q = new TransmitLimitedQueue<string>(() => 10)
    q.enqueue('a', 'a', 10)
    q.enqueue('b', 'b', 10)
    q.enqueue('c', 'c', 10)
    assert.deepEqual(q.take(12), ['a'])
    assert.deepEqual(q.take(12), ['b'])
    assert.deepEqual(q.take(12), ['c'])
    assert.deepEqual(q.take(24), ['a', 'b'])
    q.enqueue('d', 'd', 10)
    assert.deepEqual(q.take(24), ['d', 'c'])
  })

  it('drops an item once it has been sent limit() times, following the limit as it changes', () => {
    let limit = 2
    const q = new TransmitLimitedQueue<string>(() => limit)
    q.enqueue('a', 'a', 10)
    assert.equal(q.remaining('a'), 2)
    assert.deepEqual(q.take(100), ['a'])
    assert.equal(q.remaining('a'), 1)
    assert.deepEqual(q.take(100), ['a'])
    assert.equal(q.size, 0)
    assert.equal(q.remaining('a'), 0)
    assert.deepEqual(q.take(100), [])
    limit = 5
    q.enqueue('b', 'b', 10)
    for (let i = 0; i < 5; i++) assert.deepEqual(q.take(100), ['b'])
    assert.equal(q.has('b'), false)
  })

  it('packs items into the byte budget, each with its overhead, skipping what does not fit', () => {
    const q = new TransmitLimitedQueue<string>(() => 5)
    q.enqueue('big', 'big', 60)
    q.enqueue('m1', 'm1', 20)
    q.enqueue('m2', 'm2', 20)
    q.enqueue('s', 's', 5)
    // 20+2 + 20+2 + 5+2 = 51 fits in 60; big (62) does not
    assert.deepEqual(q.take(60), ['m1', 'm2', 's'])
    // the skipped item is now the least transmitted; what room is left goes to the next ones
    assert.deepEqual(q.take(70), ['big', 's'])
    assert.deepEqual(q.take(10, 0), ['s'], 'overhead is configurable')
    assert.deepEqual(q.take(0), [])
  })

  it('with a recipient, never hands an item to a member that has it, and is done once everyone has', () => {
    const live = new Set(['me', 'origin', 'b', 'c'])
    const everyone = (have: ReadonlySet<string>) => [...live].every((id) => have.has(id))
    const q = new TransmitLimitedQueue<string>(() => 10, undefined, everyone)
    q.enqueue('e', 'event', 10, ['origin', 'me'])
    assert.deepEqual(q.take(100, 2, 'origin'), [], 'not back to its origin')
    assert.deepEqual(q.take(100, 2, 'b'), ['event'])
    assert.deepEqual(q.take(100, 2, 'b'), [], 'not twice to b')
    assert.equal(q.remaining('e'), 9, 'a skip is no transmission')
    assert.deepEqual(q.take(100, 2), ['event'], 'without a recipient, as before')
    assert.deepEqual(q.take(100, 2, 'c'), ['event'])
    assert.equal(q.size, 0, 'every live member has it: done before its limit')
  })

  it('remove() forgets a key', () => {
    const q = new TransmitLimitedQueue<string>(() => 5)
    q.enqueue('a', 'a', 1)
    q.remove('a')
    q.remove('nothing')
    assert.equal(q.size, 0)
    assert.deepEqual(q.take(100), [])
  })

  it('stays cheap with ten thousand pending items and a full packet', () => {
    const q = new TransmitLimitedQueue<number>(() => 20)
    for (let i = 0; i < 10_000; i++) q.enqueue(`m${i}`, i, 60 + (i % 7))
    let sent = 0
    for (let round = 0; round < 2000; round++) sent += q.take(1400).length
    assert.ok(sent > 2000 * 15, `packed only ${sent} items`)
  })
})
