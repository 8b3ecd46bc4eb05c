import assert from 'node:assert/strict'
import type { Member } from '@murmur/core'
import { encodeInfo, eventLine, type MemberJson, memberJson, membersTable } from '../src/index.ts'

const base: Member = {
  id: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
  addrs: ['/ip4/127.0.0.1/tcp/4001'],
  state: 'alive',
  incarnation: 3,
  metadata: encodeInfo({ name: 'app', tags: { role: 'web' } }),
  stateChangedAt: 0,
}

describe('murmur: a degraded member (the progress bound of worker mode)', () => {
  it('is degraded while its tags carry degraded=..., and shows so in the table and the event line', () => {
    const fine = memberJson(base)
    const stuck = memberJson({
      ...base,
      metadata: encodeInfo({ name: 'app', tags: { role: 'web', degraded: 'progress' } }),
    })
    assert.equal(fine.degraded, false)
    assert.equal(stuck.degraded, true)
    assert.match(membersTable([stuck], false), /alive, degraded/)
    assert.doesNotMatch(membersTable([fine], false), /degraded/)
    const line = eventLine({ event: 'member:update', time: '2026-01-01T00:00:00.000Z', ...stuck }, false)
    assert.match(line, /update\s+app .* inc 3 \(degraded\)/)
    // a member JSON from an older agent has no field: not degraded
    const old: MemberJson = { ...fine }
    delete old.degraded
    assert.doesNotMatch(membersTable([old], false), /degraded/)
  })
})
