import assert from 'node:assert/strict'
import { pushPullScale } from '@murmur/core'

describe('pushPullScale', () => {
  // memberlist util_test.go TestPushPullScale: one interval up to 32 members, then one more per doubling
  const table: Array<[number, number]> = [
    [0, 1],
    [1, 1],
    [32, 1],
    [33, 2],
    [64, 2],
    [65, 3],
    [128, 3],
    [129, 4],
    [1000, 6],
    [10000, 10],
  ]
  for (const [n, mult] of table) {
    it(`n ${n} -> ${mult} x the interval`, () => {
      assert.equal(pushPullScale(1000, n), 1000 * mult)
    })
  }

  it('every n from 0 to 32 keeps the interval, 33 to 64 doubles it, 65 to 128 triples it', () => {
    for (let n = 0; n <= 32; n++) assert.equal(pushPullScale(1000, n), 1000)
    for (let n = 33; n <= 64; n++) assert.equal(pushPullScale(1000, n), 2000)
    for (let n = 65; n <= 128; n++) assert.equal(pushPullScale(1000, n), 3000)
  })
})
