// Type-level tests: each @ts-expect-error line must fail to compile, so `tsc -b` fails if the
// public types ever loosen. The functions are never called.
import assert from 'node:assert/strict'
import { type Member, Membership, type MembershipEvents, resolveConfig, type SwimConfig } from '@murmur/core'
import { SimNetwork } from '@murmur/core/testing'

export function typeChecks(m: Membership): void {
  // @ts-expect-error an event name that does not exist
  m.addEventListener('member:bogus', () => {})
  m.addEventListener('member:join', (e) => {
    const id: string = e.detail.id
    void id
    // @ts-expect-error payloads are read-only
    e.detail.state = 'dead'
    // @ts-expect-error addresses are read-only
    e.detail.addrs.push('x')
  })
  m.addEventListener('user-event', (e) => {
    const name: string = e.detail.name
    void name
    // @ts-expect-error a user event is not a member
    void e.detail.incarnation
  })
  // @ts-expect-error unknown config option (a typo of probeIntervalMs)
  resolveConfig({ probeInterval: 1000 })
  // @ts-expect-error profiles are lan, wan and local
  resolveConfig({ profile: 'moon' })
  // @ts-expect-error durations are numbers of ms
  resolveConfig({ probeIntervalMs: '1s' })
  // @ts-expect-error a resolved config is read-only
  resolveConfig().probeIntervalMs = 5
  // @ts-expect-error a transport is required
  new Membership({ id: 'a' })
  // @ts-expect-error join takes a list of seeds
  void m.join('a')
  const state: Member['state'] = 'alive'
  // @ts-expect-error no such state
  const bad: Member['state'] = 'zombie'
  void [state, bad]
  const key: keyof MembershipEvents = 'member:reap'
  const cfg: keyof SwimConfig = 'tombstoneMs'
  void [key, cfg, new SimNetwork()]
}

describe('public types', () => {
  it('compile as declared (see the @ts-expect-error lines)', () => {
    assert.equal(typeof typeChecks, 'function')
  })
})
