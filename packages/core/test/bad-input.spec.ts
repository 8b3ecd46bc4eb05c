import assert from 'node:assert/strict'
import {
  DROP_REASONS,
  type DropReason,
  type Membership,
  type MembershipInit,
  type Update,
  type Verifier,
} from '@murmur/core'
import { flushMicrotasks } from '@murmur/core/testing'
import { DECODE_LIMITS, encodePushPull, Kind, PROTOCOL_VERSION } from '@murmur/core/wire'
import { Packet } from '../src/codec/messages.ts'
import { alive, claim, lone, packet, type SentPacket, userEvent } from './helpers.ts'

const GOOD = Uint8Array.from([42])
const BAD = Uint8Array.from([1])
const THROWS = Uint8Array.from([13])
const REJECTS = Uint8Array.from([66])

/** Signs everything with [42]; accepts [42] only; throws on [13]; rejects asynchronously on [66]. */
const keys: Pick<MembershipInit, 'signer' | 'verifier'> = {
  signer: { sign: () => GOOD },
  verifier: {
    verify: (_signer, _data, sig) => {
      if (sig[0] === THROWS[0]) throw new Error('verifier blew up')
      if (sig[0] === REJECTS[0]) return Promise.reject(new Error('no such key'))
      return sig.length === 1 && sig[0] === GOOD[0]
    },
  },
}

const signed = (u: Update): Update => ({ ...u, signature: GOOD })

/** A started node `a` that knows b (alive) and c (suspect), with signed claims. */
async function node(config: MembershipInit['config'] = {}, init: Partial<MembershipInit> = {}) {
  const env = await lone('a', { ...keys, config, ...init })
  env.m.handlePacket('b', packet({ updates: [signed(alive('b', 2)), signed(alive('c'))] }))
  env.m.handlePacket('b', packet({ updates: [signed(claim(Kind.SUSPECT, 'c', 0, 'b'))] }))
  assert.equal(env.m.member('b')?.state, 'alive')
  assert.equal(env.m.member('c')?.state, 'suspect')
  return env
}

type Outcome = DropReason | 'stale'

/** Delivers `bytes` and checks: no throw, exactly one count under `reason`, nothing else changed. */
function expectDropped(m: Membership, from: string, bytes: Uint8Array, reason: Outcome, count = 1): void {
  const before = m.members()
  const stats = m.stats()
  assert.doesNotThrow(() => m.handlePacket(from, bytes))
  checkDropped(m, before, stats, reason, count)
}

function checkDropped(
  m: Membership,
  before: ReturnType<Membership['members']>,
  stats: ReturnType<Membership['stats']>,
  reason: Outcome,
  count = 1,
): void {
  const after = m.stats()
  for (const r of DROP_REASONS) {
    assert.equal(after.drops[r] - stats.drops[r], r === reason ? count : 0, `drops[${r}]`)
  }
  assert.equal(after.updatesStale - stats.updatesStale, reason === 'stale' ? count : 0, 'updatesStale')
  assert.equal(after.updatesApplied, stats.updatesApplied, 'nothing applied')
  assert.equal(after.userEvents, stats.userEvents, 'no event delivered')
  assert.equal(after.refutes, stats.refutes, 'nothing refuted')
  assert.deepEqual(m.members(), before, 'the table is unchanged')
}

describe('bad input is dropped, counted, and changes nothing', () => {
  describe('undecodable packets', () => {
    it('garbage -> malformed', async () => {
      const { m } = await node()
      expectDropped(
        m,
        'b',
        Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        'malformed',
      )
      expectDropped(m, 'b', Uint8Array.from([0x32, 0x7f, 0x01]), 'malformed')
      for (let i = 0; i < 200; i++) {
        // random bytes: whatever they decode to (usually nothing valid), they must not throw
        const junk = Uint8Array.from({ length: 1 + (i % 40) }, (_, j) => (i * 31 + j * 17) & 0xff)
        assert.doesNotThrow(() => m.handlePacket('b', junk))
      }
      assert.equal(m.member('b')?.state, 'alive')
    })

    it('another protocol version -> version', async () => {
      const { m } = await node()
      const bytes = Packet.encode({
        version: PROTOCOL_VERSION + 1,
        ping: { seq: 1, target: 'a', wantCoordinate: false },
        updates: [],
        events: [],
      })
      expectDropped(m, 'b', bytes, 'version')
    })

    it('an oversized packet -> too-large', async () => {
      const { m } = await node()
      expectDropped(m, 'b', new Uint8Array(m.config.maxPacketBytes + 1), 'too-large')
    })

    it('too many repeated fields -> too-many-fields', async () => {
      const { m } = await node()
      const updates = Array.from({ length: DECODE_LIMITS.updatesPerPacket + 1 }, (_, i) => alive(`m${i}`))
      expectDropped(m, 'b', packet({ updates }), 'too-many-fields')
      const addrs = Array.from({ length: m.config.maxAddrsPerMember + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 9, { addrs }))] }), 'too-many-fields')
    })

    it('while stopped -> stopped', async () => {
      const { m } = await node()
      m.stop()
      expectDropped(m, 'b', packet({ updates: [signed(alive('d'))] }), 'stopped')
    })
  })

  describe('claims', () => {
    it('an alive claim not made by its subject -> forged-origin', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 9, { from: 'x' }))] }), 'forged-origin')
      expectDropped(m, 'b', packet({ updates: [signed(alive('d', 0, { from: 'b' }))] }), 'forged-origin')
      expectDropped(m, 'x', packet({ updates: [signed(claim(Kind.LEFT, 'b', 9, 'x'))] }), 'forged-origin')
    })

    it('a bad signature -> bad-signature; nobody can make us leave or refute for another', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ updates: [alive('b', 9, { signature: BAD })] }), 'bad-signature')
      expectDropped(m, 'b', packet({ updates: [claim(Kind.DEAD, 'b', 2, 'c', { signature: BAD })] }), 'bad-signature')
      expectDropped(m, 'x', packet({ updates: [claim(Kind.LEFT, 'a', 5, 'a', { signature: BAD })] }), 'bad-signature')
      expectDropped(m, 'b', packet({ events: [userEvent('b', 1, 'e', { signature: BAD })] }), 'bad-signature')
      assert.equal(m.self().incarnation, 0)
    })

    it('a verifier that throws -> bad-signature, and the rest of the packet is still handled', async () => {
      const { m, sent } = await node()
      const before = m.members()
      const stats = m.stats()
      const bytes = packet({ updates: [alive('b', 9, { signature: THROWS })], ping: { seq: 5, target: 'a' } })
      assert.doesNotThrow(() => m.handlePacket('b', bytes))
      checkDropped(m, before, stats, 'bad-signature')
      assert.ok(
        sent.some((s: SentPacket) => s.to === 'b' && s.packet.ack?.seq === 5),
        'the ping was still answered',
      )
    })

    it('a verifier that rejects asynchronously -> bad-signature', async () => {
      const { m } = await node()
      const before = m.members()
      const stats = m.stats()
      m.handlePacket('b', packet({ updates: [alive('b', 9, { signature: REJECTS })] }))
      await flushMicrotasks()
      checkDropped(m, before, stats, 'bad-signature')
    })

    it('a replayed or stale claim -> counted stale', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 2))] }), 'stale') // the same claim again
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 1))] }), 'stale') // an older life
      expectDropped(m, 'x', packet({ updates: [signed(claim(Kind.DEAD, 'b', 1, 'x'))] }), 'stale') // about an older life
      expectDropped(m, 'b', packet({ updates: [signed(claim(Kind.SUSPECT, 'c', 0, 'b'))] }), 'stale') // the same accuser again
      expectDropped(m, 'b', packet({ updates: [signed(alive('a', 0))] }), 'stale') // our own claim, echoed
    })

    it('an accusation about a member never seen alive -> unknown-member', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ updates: [signed(claim(Kind.SUSPECT, 'zed', 0, 'b'))] }), 'unknown-member')
      expectDropped(m, 'b', packet({ updates: [signed(claim(Kind.DEAD, 'zed', 0, 'b'))] }), 'unknown-member')
      expectDropped(m, 'zed', packet({ updates: [signed(claim(Kind.LEFT, 'zed', 0, 'zed'))] }), 'unknown-member')
    })

    it('a claim with missing or out-of-range fields -> invalid-claim or too-large', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ updates: [signed(alive(''))] }), 'invalid-claim')
      expectDropped(m, 'b', packet({ updates: [signed(claim(Kind.SUSPECT, 'b', 2, ''))] }), 'invalid-claim')
      expectDropped(m, 'b', packet({ updates: [signed(alive('x'.repeat(300)))] }), 'invalid-claim')
      const metadata = new Uint8Array(m.config.maxMetadataBytes + 1)
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 9, { metadata }))] }), 'too-large')
      expectDropped(m, 'b', packet({ updates: [signed(alive('b', 9, { addrs: ['x'.repeat(1025)] }))] }), 'too-large')
    })

    it('a bad user event -> invalid-claim or too-large', async () => {
      const { m } = await node()
      expectDropped(m, 'b', packet({ events: [{ ...userEvent('b', 1, ''), signature: GOOD }] }), 'invalid-claim')
      expectDropped(m, 'b', packet({ events: [{ ...userEvent('', 1, 'x'), signature: GOOD }] }), 'invalid-claim')
      const payload = new Uint8Array(m.config.maxUserEventBytes + 1)
      expectDropped(m, 'b', packet({ events: [userEvent('b', 1, 'x', { payload, signature: GOOD })] }), 'too-large')
    })
  })

  describe('probe messages', () => {
    it('a ping meant for someone else -> misdirected, unanswered', async () => {
      const { m, sent } = await node()
      const from = sent.length
      expectDropped(m, 'b', packet({ ping: { seq: 1, target: 'somebody-else' } }), 'misdirected')
      assert.equal(sent.length, from)
    })

    it('an ack or nack for no probe of ours, or from the wrong member -> unexpected-ack', async () => {
      const { m, clock, sent } = await node()
      expectDropped(m, 'b', packet({ ack: { seq: 12345, payload: new Uint8Array(0) } }), 'unexpected-ack')
      expectDropped(m, 'b', packet({ nack: { seq: 12345 } }), 'unexpected-ack')
      while (!sent.some((s) => s.packet.ping !== undefined)) clock.advance(10)
      const ping = sent.find((s) => s.packet.ping !== undefined)!
      const stranger = ping.to === 'b' ? 'c' : 'b'
      expectDropped(
        m,
        stranger,
        packet({ ack: { seq: ping.packet.ping!.seq, payload: new Uint8Array(0) } }),
        'unexpected-ack',
      )
      expectDropped(m, stranger, packet({ nack: { seq: ping.packet.ping!.seq } }), 'unexpected-ack')
    })

    it('ping-reqs beyond maxPendingRelays -> relay-limit', async () => {
      const { m, sent } = await node({ maxPendingRelays: 2 })
      m.handlePacket('b', packet({ updates: Array.from({ length: 7 }, (_, i) => signed(alive(`t${i}`))) }))
      for (let i = 0; i < 2; i++) m.handlePacket('b', packet({ pingReq: { seq: i, target: `t${i}`, targetAddrs: [] } }))
      assert.equal(m.stats().relaysServed, 2)
      const from = sent.length
      for (let i = 2; i < 7; i++) {
        expectDropped(m, 'b', packet({ pingReq: { seq: i, target: `t${i}`, targetAddrs: [] } }), 'relay-limit')
      }
      assert.equal(sent.length, from, 'no amplification')
      assert.equal(m.stats().relaysServed, 2)
    })
  })

  describe('push-pull', () => {
    const state = (id: string) =>
      encodePushPull({ join: false, updates: [alive(id, 0, { signature: GOOD })], events: [], eventLtime: 0 })

    it('beyond maxConcurrentPushPull a request waits for a slot, in a bounded line for a bounded time; past either -> sync-busy', async () => {
      let release = () => {}
      const slow: Verifier = {
        verify: () =>
          new Promise<boolean>((resolve) => {
            release = () => resolve(true)
          }),
      }
      const config = { maxConcurrentPushPull: 1, requestTimeoutMs: 1000 }
      const { m, clock } = await lone('a', { ...keys, verifier: slow, config })
      const response = await m.handleRequest('x', state('x'))
      assert.ok(response.byteLength > 0, 'the first one is served')
      // the slot is held until x's claims are checked: the next four wait in line (4 per slot)
      const waiting = ['w1', 'w2', 'w3', 'w4'].map((id) =>
        m.handleRequest(id, state(id)).then(
          () => id,
          (e: Error) => e,
        ),
      )
      await flushMicrotasks()
      const before = m.members()
      const stats = m.stats()
      await assert.rejects(m.handleRequest('y', state('y')), { name: 'SyncRefusedError', reason: 'busy' })
      checkDropped(m, before, stats, 'sync-busy')
      release() // x checked: its slot goes to w1
      await flushMicrotasks()
      assert.equal(m.member('x')?.state, 'alive')
      assert.equal(await waiting[0], 'w1')
      // w1's check never ends: the others wait out requestTimeoutMs and are refused
      clock.advance(1000)
      for (const w of waiting.slice(1)) {
        const err = await w
        assert.ok(err instanceof Error && err.name === 'SyncRefusedError', String(err))
      }
      assert.equal(m.stats().drops['sync-busy'], stats.drops['sync-busy'] + 4)
      release()
      await flushMicrotasks()
      assert.equal(m.member('w1')?.state, 'alive')
    })

    it('garbage, another version or an oversized state -> rejected and counted', async () => {
      const { m } = await node()
      const cases: Array<[Uint8Array, DropReason, string]> = [
        [
          Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          'malformed',
          'DecodeError',
        ],
        [
          encodePushPull({ join: false, updates: [], events: [], eventLtime: 0 }).map((b, i) => (i === 1 ? 9 : b)),
          'version',
          'DecodeError',
        ],
        [new Uint8Array(m.config.maxSyncBytes + 1), 'too-large', 'MessageTooLargeError'],
      ]
      for (const [bytes, reason, name] of cases) {
        const before = m.members()
        const stats = m.stats()
        await assert.rejects(m.handleRequest('b', bytes), { name })
        checkDropped(m, before, stats, reason)
      }
    })

    it('a state full of bad claims changes nothing', async () => {
      const { m } = await node()
      const before = m.members()
      const stats = m.stats()
      const bytes = encodePushPull({
        join: false,
        updates: [alive('b', 9, { signature: BAD }), alive('z', 0, { from: 'b', signature: GOOD })],
        events: [],
        eventLtime: 0,
      })
      await m.handleRequest('b', bytes)
      const after = m.stats()
      assert.equal(after.drops['bad-signature'] - stats.drops['bad-signature'], 1)
      assert.equal(after.drops['forged-origin'] - stats.drops['forged-origin'], 1)
      assert.deepEqual(m.members(), before)
    })
  })
})
