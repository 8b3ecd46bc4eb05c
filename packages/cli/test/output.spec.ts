import assert from 'node:assert/strict'
import type { Explanation } from '@murmur/core'
import { decodeInfo, encodeInfo, eventLine, explain, type MemberJson, membersTable } from '../src/index.ts'
import { parseDuration, parseTag } from '../src/options.ts'

const member = (over: Partial<MemberJson> = {}): MemberJson => ({
  id: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
  name: 'node-1',
  addrs: ['/ip4/127.0.0.1/tcp/4001'],
  state: 'alive',
  incarnation: 3,
  tags: { role: 'web', zone: 'a' },
  rttMs: 2,
  stateChangedAt: '2026-01-01T00:00:00.000Z',
  reason: null,
  ...over,
})

describe('murmur: output formatting', () => {
  it('prints a plain members table off a terminal, with every column', () => {
    const text = membersTable([member(), member({ name: '', state: 'dead', rttMs: null, tags: {} })], false)
    const lines = text.split('\n')
    assert.match(lines[0], /ID\s+NAME\s+ADDRESS\s+STATE\s+INC\s+TAGS\s+RTT/)
    assert.match(
      lines[1],
      /12D3KooW…CVe2Xo\s+node-1\s+\/ip4\/127.0.0.1\/tcp\/4001\s+alive\s+3\s+role=web,zone=a\s+2 ms/,
    )
    assert.match(lines[2], /dead\s+3\s+-\s+-/)
    assert.ok(!text.includes(String.fromCharCode(27)), 'no colour codes off a terminal')
  })

  it('colours states on a terminal', () => {
    assert.match(
      membersTable([member({ state: 'suspect' })], true),
      new RegExp(`${String.fromCharCode(27)}\\[33msuspect`),
    )
  })

  it('explains a death: accuser, probes, confirmations, time and how', () => {
    const reason: Explanation = {
      accuser: 'a',
      suspectedAt: 1000,
      confirmations: ['c'],
      failedProbes: [
        { at: 1000, via: 'direct', outcome: 'timeout' },
        { at: 1500, via: 'b', outcome: 'nack' },
      ],
      deadBy: 'suspicion-timeout',
      declaredBy: 'a',
      deadAt: 4200,
    }
    assert.equal(
      explain(reason),
      'suspected by a; probes: direct ping timed out, nack via b; confirmed by c; dead after 3.2 s (suspicion timeout)',
    )
    const line = eventLine(
      { event: 'member:dead', time: '2026-01-01T10:11:12.345Z', ...member({ state: 'dead', reason }) },
      false,
    )
    assert.match(line, /^10:11:12.345 dead\s+node-1 \(12D3KooW…CVe2Xo\) inc 3\s+suspected by a/)
  })

  it('keeps name and tags in metadata, and treats foreign metadata as none', () => {
    const info = { name: 'n', tags: { b: '2', a: '1' } }
    assert.deepEqual(decodeInfo(encodeInfo(info)), info)
    assert.equal(new TextDecoder().decode(encodeInfo(info)), '{"n":"n","t":{"a":"1","b":"2"}}')
    assert.deepEqual(decodeInfo(Uint8Array.from([0xff, 0x00])), { tags: {} })
    assert.deepEqual(decodeInfo(new TextEncoder().encode('{"t":{"x":5}}')), { tags: {} })
  })

  it('parses durations and tags', () => {
    const durations: Array<[string, number]> = [
      ['250', 250],
      ['250ms', 250],
      ['2s', 2000],
      ['1.5s', 1500],
      ['1m', 60_000],
    ]
    for (const [input, ms] of durations) assert.equal(parseDuration(input), ms, input)
    assert.deepEqual(parseTag('role=web=1'), ['role', 'web=1'])
    assert.deepEqual(parseTag('empty='), ['empty', ''])
  })
})
