import assert from 'node:assert/strict'
import type { MembershipInit, Signer, Update, Verifier } from '@murmur/core'
import { encodePushPull, eventSigningBytes, Kind, updateSigningBytes } from '@murmur/core/wire'
import { alive, claim, lone, packet, userEvent } from './helpers.ts'

/**
 * A stand-in for Ed25519 that a test can forge at will: a signature is a checksum of the signer's
 * id and the signed bytes. What matters is that signing bytes of another cluster, or as someone
 * else, gives a signature that does not verify.
 */
function checksum(id: string, data: Uint8Array): Uint8Array<ArrayBuffer> {
  let h = 0x811c9dc5
  for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193)
  for (const b of data) h = Math.imul(h ^ b, 0x01000193)
  return Uint8Array.from([h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255])
}
const verifier: Verifier = {
  verify: (signer, data, sig) => sig.length === 4 && checksum(signer, data).every((b, i) => b === sig[i]),
}
const signerFor = (id: string): Signer => ({ sign: (data) => checksum(id, data) })
/** Signs `u` as its `from` would, for `cluster`. */
const sign = (u: Update, cluster = 'default'): Update => ({
  ...u,
  signature: checksum(u.from, updateSigningBytes(u, cluster)),
})

/** `a`, signing and verifying, knowing b (alive at 2) and c (alive at 0). */
async function node(init: Partial<MembershipInit> = {}) {
  const env = await lone('a', { signer: signerFor('a'), verifier, ...init })
  const cluster = init.config?.cluster
  env.m.handlePacket('b', packet({ updates: [sign(alive('b', 2), cluster), sign(alive('c'), cluster)] }))
  assert.equal(env.m.member('b')?.state, 'alive')
  return env
}

describe('trust: claims and incarnations', () => {
  it('an accusation naming an incarnation its subject never announced is dropped, about others and about us', async () => {
    const { m } = await node()
    m.handlePacket('c', packet({ updates: [sign(claim(Kind.DEAD, 'b', 3, 'c'))] }))
    assert.equal(m.member('b')?.state, 'alive')
    assert.equal(m.stats().drops['future-incarnation'], 1)
    m.handlePacket('c', packet({ updates: [sign(claim(Kind.SUSPECT, 'a', 0xffffffff, 'c'))] }))
    assert.equal(m.self().incarnation, 0, 'no refutation above an incarnation we never had')
    assert.equal(m.stats().drops['future-incarnation'], 2)
    assert.equal(m.stats().refutes, 0)
  })

  it('an accusation about us that does not verify is dropped and never refuted', async () => {
    const { m } = await node()
    m.handlePacket('c', packet({ updates: [claim(Kind.SUSPECT, 'a', 0, 'c', { signature: new Uint8Array(4) })] }))
    assert.equal(m.stats().drops['bad-signature'], 1)
    assert.equal(m.stats().refutes, 0)
    assert.equal(m.self().incarnation, 0)
    // a signed one is refuted
    m.handlePacket('c', packet({ updates: [sign(claim(Kind.SUSPECT, 'a', 0, 'c'))] }))
    assert.equal(m.stats().refutes, 1)
    assert.equal(m.self().incarnation, 1)
  })

  it('a DEAD by a key that is no member counts for nothing: not applied, not gossiped, no confirmation', async () => {
    const { m } = await node()
    const depth = m.stats().queueDepth
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.DEAD, 'c', 0, 'stranger'))] }))
    assert.equal(m.member('c')?.state, 'alive')
    assert.equal(m.stats().drops['untrusted-accuser'], 1)
    assert.equal(m.stats().queueDepth, depth, 'not passed on')
    // enough members that Lifeguard expects confirmations of a suspicion
    m.handlePacket('b', packet({ updates: [sign(alive('d')), sign(alive('e'))] }))
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.SUSPECT, 'c', 0, 'b'))] }))
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.SUSPECT, 'c', 0, 'stranger'))] }))
    assert.deepEqual(m.member('c')?.reason?.confirmations, [], 'a stranger confirms nothing')
    assert.equal(m.stats().drops['untrusted-accuser'], 2)
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.SUSPECT, 'c', 0, 'd'))] }))
    assert.deepEqual(m.member('c')?.reason?.confirmations, ['d'], 'a member does')
  })

  it("a member's DEAD about a member we hold alive is an accusation: suspect first, dead only when our timer runs out", async () => {
    const { m, clock } = await node()
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.DEAD, 'c', 0, 'b'))] }))
    assert.equal(m.member('c')?.state, 'suspect')
    assert.equal(m.member('c')?.reason?.accuser, 'b')
    // c refutes in time: alive again, never dead
    m.handlePacket('c', packet({ updates: [sign(alive('c', 1))] }))
    assert.equal(m.member('c')?.state, 'alive')
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.DEAD, 'c', 1, 'b'))] }))
    assert.equal(m.member('c')?.state, 'suspect')
    let deadBy: string | undefined
    m.addEventListener('member:dead', (e) => {
      deadBy = e.detail.reason?.deadBy
    })
    for (let t = 0; t < 120_000 && m.member('c')?.state !== 'dead'; t += 100) clock.advance(100)
    assert.equal(m.member('c')?.state, 'dead')
    assert.equal(deadBy, 'suspicion-timeout', 'declared dead by our own timer')
  })

  it("DEADs do not confirm a suspicion that began with a DEAD (a healed partition's old verdicts), but do confirm one begun by a probe", async () => {
    const { m } = await node()
    m.handlePacket('b', packet({ updates: [sign(alive('d')), sign(alive('e')), sign(alive('f'))] }))
    // verdicts from before a healed partition, say: several at once about a member we hold alive
    m.handlePacket('d', packet({ updates: [sign(claim(Kind.DEAD, 'c', 0, 'd')), sign(claim(Kind.DEAD, 'c', 0, 'e'))] }))
    assert.equal(m.member('c')?.state, 'suspect')
    assert.deepEqual(m.member('c')?.reason?.confirmations, [])
    m.handlePacket('d', packet({ updates: [sign(claim(Kind.SUSPECT, 'c', 0, 'b'))] }))
    assert.deepEqual(m.member('c')?.reason?.confirmations, ['b'], "someone's failed probe still confirms it")
    // a suspicion begun by a probe (SUSPECT) is confirmed by another's verdict, as a crash wants
    m.handlePacket('b', packet({ updates: [sign(claim(Kind.SUSPECT, 'f', 0, 'b'))] }))
    m.handlePacket('d', packet({ updates: [sign(claim(Kind.DEAD, 'f', 0, 'd'))] }))
    assert.deepEqual(m.member('f')?.reason?.confirmations, ['d'])
  })

  it('a claim that says it comes from us is verified like any other', async () => {
    const { m } = await node()
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'c', 0, 'a', { signature: new Uint8Array(4) })] }))
    assert.equal(m.member('c')?.state, 'alive')
    assert.equal(m.stats().drops['bad-signature'], 1)
  })

  it('a claim signed for another cluster does not verify', async () => {
    const { m } = await node({ config: { cluster: 'blue' } })
    m.handlePacket('d', packet({ updates: [sign(alive('d'), 'green')] }))
    assert.equal(m.member('d'), undefined)
    m.handlePacket('d', packet({ updates: [sign(alive('d'), 'blue')] }))
    assert.equal(m.member('d')?.state, 'alive')
  })

  it('our incarnation starts where we are told, and never wraps', async () => {
    const { m } = await lone('a', { initialIncarnation: 0xfffffffe })
    assert.equal(m.self().incarnation, 0xfffffffe)
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'a', 0xfffffffe, 'b')] }))
    assert.equal(m.self().incarnation, 0xffffffff)
    m.handlePacket('b', packet({ updates: [claim(Kind.SUSPECT, 'a', 0xffffffff, 'b')] }))
    assert.equal(m.self().incarnation, 0xffffffff, 'refused rather than wrapped to 0')
    assert.equal(m.stats().incarnationExhausted, 1)
  })
})

describe('trust: resources', () => {
  it('maxMembers: a new member takes the place of the oldest tombstone, or is refused', async () => {
    const { m, clock } = await lone('a', { config: { maxMembers: 3 } })
    m.handlePacket('b', packet({ updates: [alive('b'), alive('c'), alive('d')] }))
    m.handlePacket('b', packet({ updates: [alive('e')] }))
    assert.equal(m.member('e'), undefined)
    assert.equal(m.stats().drops['table-full'], 1)
    m.handlePacket('d', packet({ updates: [claim(Kind.LEFT, 'd', 0, 'd')] }))
    clock.advance(10)
    m.handlePacket('b', packet({ updates: [alive('e')] }))
    assert.equal(m.member('e')?.state, 'alive')
    assert.equal(m.member('d'), undefined, 'the tombstone made room')
    assert.equal(m.stats().tombstonesEvicted, 1)
  })

  it('one peer introduces at most twice maxNewMembersPerSecond new members at once, then at that rate', async () => {
    const { m, clock } = await lone('a', { config: { maxNewMembersPerSecond: 10 } })
    const batch = (from: number) => packet({ updates: Array.from({ length: 30 }, (_, i) => alive(`n${from + i}`)) })
    m.handlePacket('b', batch(0))
    assert.equal(m.members().length - 1, 20)
    assert.equal(m.stats().drops['admission-rate'], 10)
    clock.advance(1000)
    m.handlePacket('b', batch(100))
    assert.equal(m.members().length - 1, 30)
    // another introducer has its own budget; a join's answer has none
    m.handlePacket('c', batch(200))
    assert.equal(m.members().length - 1, 50)
  })

  it('signature checks per peer are bounded: a flood of forged claims is shed, counted, not checked', async () => {
    let checks = 0
    const counting: Verifier = {
      verify: (...args) => {
        checks++
        return verifier.verify(...args)
      },
    }
    const { m } = await node({ verifier: counting, config: { maxVerifiesPerPeerPerSecond: 50 } })
    checks = 0
    const forged = Array.from({ length: 300 }, (_, i) => alive('b', 3 + i, { signature: new Uint8Array(4) }))
    m.handlePacket('x', packet({ updates: forged }))
    assert.equal(checks, 100, 'a burst of twice the rate, then nothing')
    assert.equal(m.stats().drops['verify-shed'], 200)
    assert.equal(m.stats().drops['bad-signature'], 100)
    assert.equal(m.member('b')?.incarnation, 2)
  })

  it('a confirmation heard again is checked once: one accuser counts once, so its repeats are not verified', async () => {
    let checks = 0
    const counting: Verifier = {
      verify: (...args) => {
        checks++
        return verifier.verify(...args)
      },
    }
    const { m } = await node({ verifier: counting })
    m.handlePacket('b', packet({ updates: [sign(alive('d'))] }))
    m.handlePacket('c', packet({ updates: [sign(claim(Kind.SUSPECT, 'b', 2, 'c'))] }))
    assert.equal(m.member('b')?.state, 'suspect')
    checks = 0
    const confirmation = sign(claim(Kind.SUSPECT, 'b', 2, 'd'))
    for (let i = 0; i < 5; i++) m.handlePacket('c', packet({ updates: [confirmation] }))
    assert.equal(checks, 1)
    assert.deepEqual(m.member('b')?.reason?.confirmations, ['d'])
    // the accuser's own claim again is no confirmation, and costs no check either
    m.handlePacket('c', packet({ updates: [sign(claim(Kind.SUSPECT, 'b', 2, 'c'))] }))
    assert.equal(checks, 1)
  })

  it("a push-pull's unsigned Lamport time moves nothing; a verified event far ahead is refused", async () => {
    const { m } = await node()
    const got: string[] = []
    m.addEventListener('user-event', (e) => got.push(e.detail.name))
    const lie = encodePushPull({ join: false, updates: [], events: [], eventLtime: 0xffffffff })
    await m.handleRequest('b', lie)
    const signed = (ltime: number, name: string) => {
      const e = userEvent('b', ltime, name)
      return { ...e, signature: checksum('b', eventSigningBytes(e)) }
    }
    m.handlePacket('b', packet({ events: [signed(2, 'two')] }))
    assert.deepEqual(got, ['two'], 'events still flow after the lie')
    m.handlePacket('b', packet({ events: [signed(0xfffffff0, 'far')] }))
    assert.equal(m.stats().drops['ltime-jump'], 1)
    m.handlePacket('b', packet({ events: [signed(3, 'three')] }))
    assert.deepEqual(got, ['two', 'three'])
    m.handlePacket('b', packet({ events: [signed(4, 'from-no-member')].map((e) => ({ ...e, origin: 'zz' })) }))
    assert.equal(m.stats().drops['unknown-member'], 1)
  })

  it('broadcast() refuses an event that could never be gossiped', async () => {
    const { m } = await lone('a', { config: { userEventBudgetBytes: 200 } })
    await assert.rejects(m.broadcast('big', new Uint8Array(200)), { name: 'InvalidArgumentError' })
    await m.broadcast('small', new Uint8Array(10))
  })

  it('a stranger that pings gets a bare ack: our gossip and its retransmit budget go to members only', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    const depth = m.stats().queueDepth
    for (let i = 0; i < 50; i++) m.handlePacket('stranger', packet({ ping: { seq: i, target: 'a' } }))
    const acks = sent.filter((s) => s.to === 'stranger')
    assert.equal(acks.length, 50)
    for (const s of acks) assert.equal(s.packet.updates.length, 0)
    assert.equal(m.stats().queueDepth, depth, 'nothing was used up')
  })

  it('ping-req: relayed only between members, to the address the target announced', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b'), alive('t', 0, { addrs: ['/t-announced'] })] }))
    m.handlePacket('stranger', packet({ pingReq: { seq: 1, target: 't', targetAddrs: ['/evil'] } }))
    m.handlePacket('b', packet({ pingReq: { seq: 2, target: 'unknown', targetAddrs: ['/evil'] } }))
    assert.equal(m.stats().drops['relay-refused'], 2)
    assert.equal(sent.filter((s) => s.packet.ping !== undefined && s.to !== 'b' && s.to !== 't').length, 0)
    m.handlePacket('b', packet({ pingReq: { seq: 3, target: 't', targetAddrs: ['/evil'] } }))
    assert.equal(m.stats().relaysServed, 1)
  })
})
