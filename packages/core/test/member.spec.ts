import assert from 'node:assert/strict'
import { type Claim, type MemberState, STATE_RANK, supersedes } from '@murmur/core'
import { freezeMember } from '../src/member.ts'

describe('supersedes (SWIM precedence)', () => {
  const c = (state: MemberState, incarnation: number): Claim => ({ state, incarnation })
  const table: Array<[Claim, Claim | undefined, boolean, string]> = [
    [c('alive', 0), undefined, true, 'anything beats nothing'],
    [c('dead', 0), undefined, true, 'even an accusation, when nothing is known'],
    [c('alive', 2), c('alive', 1), true, 'higher incarnation wins'],
    [c('alive', 2), c('dead', 1), true, 'higher incarnation beats dead'],
    [c('alive', 2), c('left', 1), true, 'higher incarnation beats left'],
    [c('left', 1), c('alive', 2), false, 'lower incarnation never wins'],
    [c('dead', 1), c('suspect', 2), false, 'lower incarnation never wins, dead neither'],
    [c('alive', 1), c('alive', 1), false, 'the same claim is not news'],
    [c('suspect', 1), c('alive', 1), true, 'suspect beats alive at equal incarnation'],
    [c('alive', 1), c('suspect', 1), false, 'alive cannot refute at the same incarnation'],
    [c('dead', 1), c('suspect', 1), true, 'dead beats suspect'],
    [c('dead', 1), c('alive', 1), true, 'dead beats alive'],
    [c('suspect', 1), c('dead', 1), false, 'suspect does not undo dead'],
    [c('left', 1), c('dead', 1), true, 'left beats dead'],
    [c('dead', 1), c('left', 1), false, 'dead does not undo left'],
    [c('suspect', 1), c('suspect', 1), false, 'same state, same incarnation'],
    [c('alive', 4294967295), c('dead', 4294967294), true, 'the largest incarnation'],
  ]
  for (const [incoming, current, expected, why] of table) {
    it(`${JSON.stringify(incoming)} over ${JSON.stringify(current)} -> ${expected} (${why})`, () => {
      assert.equal(supersedes(incoming, current), expected)
    })
  }

  it('ranks states alive < suspect < dead < left', () => {
    assert.deepEqual(
      (Object.keys(STATE_RANK) as MemberState[]).sort((a, b) => STATE_RANK[a] - STATE_RANK[b]),
      ['alive', 'suspect', 'dead', 'left'],
    )
  })
})

describe('freezeMember', () => {
  it('returns a deep frozen copy that cannot reach the original', () => {
    const metadata = Uint8Array.from([1, 2, 3])
    const addrs = ['/ip4/127.0.0.1/tcp/1']
    const reason = {
      accuser: 'x',
      suspectedAt: 1,
      confirmations: ['y'],
      failedProbes: [{ at: 1, via: 'direct', outcome: 'timeout' as const }],
    }
    const m = freezeMember({ id: 'a', addrs, state: 'suspect', incarnation: 1, metadata, stateChangedAt: 5, reason })
    assert.ok(Object.isFrozen(m))
    assert.ok(Object.isFrozen(m.addrs))
    assert.ok(Object.isFrozen(m.reason))
    assert.ok(Object.isFrozen(m.reason?.confirmations))
    assert.ok(Object.isFrozen(m.reason?.failedProbes[0]))
    assert.notEqual(m.metadata, metadata)
    m.metadata[0] = 99
    assert.equal(metadata[0], 1)
    addrs.push('other')
    reason.confirmations.push('z')
    assert.equal(m.addrs.length, 1)
    assert.deepEqual(m.reason?.confirmations, ['y'])
  })
})
