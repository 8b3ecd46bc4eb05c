import assert from 'node:assert/strict'
import { Awareness } from '@murmur/core/testing'

describe('Awareness (Lifeguard local health)', () => {
  it('starts healthy and scales timeouts by score + 1', () => {
    const a = new Awareness(8)
    assert.equal(a.healthScore, 0)
    assert.equal(a.scale(500), 500)
    a.apply(2)
    assert.equal(a.scale(500), 1500)
  })

  it('is clamped to [0, max - 1]', () => {
    const table: Array<[number[], number]> = [
      [[1], 1],
      [[-1], 0],
      [[3, -1], 2],
      [[20], 7],
      [[20, -1], 6],
      [[5, -10], 0],
      [[7, 7, 7, -2], 5],
    ]
    for (const [deltas, expected] of table) {
      const a = new Awareness(8)
      let last = 0
      for (const d of deltas) last = a.apply(d)
      assert.equal(a.healthScore, expected, `after ${deltas}`)
      assert.equal(last, expected)
    }
  })

  it('with a max of 1, never leaves 0', () => {
    const a = new Awareness(1)
    a.apply(5)
    assert.equal(a.healthScore, 0)
    assert.equal(a.scale(1000), 1000)
  })
})
