import assert from 'node:assert/strict'
import { FORCE_LEAVE_EVENT, FORCE_LEAVES_PER_ORIGIN_PER_SECOND, MAX_PENDING_PINGS, type Membership } from '@murmur/core'
import { Kind } from '@murmur/core/wire'
import { alive, claim, EMPTY, lone, packet, runUntil, simCluster, userEvent } from './helpers.ts'

const local = { profile: 'local' as const }

/** A four-node cluster where d crashed and everyone holds it dead. */
async function withDeadMember(): Promise<{ nodes: Membership[]; net: Awaited<ReturnType<typeof simCluster>>['net'] }> {
  const { net, nodes } = await simCluster(['a', 'b', 'c', 'd'], { config: local })
  net.crash('d')
  const live = nodes.slice(0, 3)
  await runUntil(net, () => live.every((m) => m.member('d')?.state === 'dead'), 60_000)
  return { net, nodes: live }
}

describe('forceLeave', () => {
  it('forgets a dead member at once, here and, pruned, on every member holding it dead', async () => {
    const { net, nodes } = await withDeadMember()
    const [a, b, c] = nodes
    const reaped: string[] = []
    for (const m of nodes) m.addEventListener('member:reap', (e) => reaped.push(`${m.id}:${e.detail.id}`))
    await a.forceLeave('d')
    assert.equal(a.member('d'), undefined, 'forgotten here at once')
    await runUntil(net, () => b.member('d') === undefined && c.member('d') === undefined, 5_000)
    assert.deepEqual(reaped.sort(), ['a:d', 'b:d', 'c:d'])
    assert.equal(a.stats().forceLeaves + b.stats().forceLeaves + c.stats().forceLeaves, 3)
    // the operator's event is not an application event
    let delivered = 0
    b.addEventListener('user-event', () => delivered++)
    await net.clock.run(2_000)
    assert.equal(delivered, 0)
  })

  it('--no-prune forgets it here only', async () => {
    const { net, nodes } = await withDeadMember()
    await nodes[0].forceLeave('d', { prune: false })
    await net.clock.run(3_000)
    assert.equal(nodes[0].member('d'), undefined)
    assert.equal(nodes[1].member('d')?.state, 'dead')
  })

  it('refuses members alive or suspect, unknown ids and ourselves, with typed errors', async () => {
    const { nodes } = await simCluster(['a', 'b'], { config: local })
    const [a] = nodes
    await assert.rejects(a.forceLeave('b'), { name: 'MemberNotDeadError', code: 'ERR_MEMBER_NOT_DEAD' })
    await assert.rejects(a.forceLeave('zz'), { name: 'UnknownMemberError', code: 'ERR_UNKNOWN_MEMBER' })
    await assert.rejects(a.forceLeave('a'), { name: 'InvalidArgumentError' })
    await assert.rejects(a.broadcast(FORCE_LEAVE_EVENT, EMPTY), { name: 'InvalidArgumentError' })
    assert.equal(a.member('b')?.state, 'alive')
  })

  it('a force-leave from a member is honoured only for members the receiver holds dead, and within its rate', async () => {
    const { m } = await lone('a')
    const enc = (s: string) => new TextEncoder().encode(s)
    // o (the operator) and v (alive) are members; x..z have left (a tombstone, as a dead one)
    const dead = ['x', 'y', ...Array.from({ length: 2 * FORCE_LEAVES_PER_ORIGIN_PER_SECOND + 5 }, (_, i) => `z${i}`)]
    m.restore([alive('o', 1), alive('v', 1), ...dead.map((id) => alive(id, 1))])
    m.restore(dead.map((id) => claim(Kind.LEFT, id, 1, id)))
    assert.equal(m.member('x')?.state, 'left')
    let lt = 1
    const send = (origin: string, id: string) =>
      m.handlePacket(origin, packet({ events: [userEvent(origin, lt++, FORCE_LEAVE_EVENT, { payload: enc(id) })] }))
    send('o', 'v') // alive here: never
    assert.equal(m.member('v')?.state, 'alive')
    send('stranger', 'x') // not a member: never (dropped as unknown-member before delivery)
    assert.equal(m.member('x')?.state, 'left')
    send('o', 'x')
    assert.equal(m.member('x'), undefined, 'dead here and asked by a live member: forgotten')
    const before = m.stats().drops['force-leave-refused']
    for (const id of dead.slice(1)) send('o', id)
    const honoured = dead.slice(1).filter((id) => m.member(id) === undefined).length
    assert.equal(honoured, 2 * FORCE_LEAVES_PER_ORIGIN_PER_SECOND - 1, 'the burst, less the one spent on x')
    assert.ok(m.stats().drops['force-leave-refused'] > before)
  })

  it('an old claim of a forgotten member cannot bring it back; a newer one (it restarted) can', async () => {
    const { m } = await lone('a')
    m.restore([alive('o', 1), alive('d', 5)])
    m.restore([claim(Kind.LEFT, 'd', 5, 'd')])
    assert.equal(m.member('d')?.state, 'left')
    await m.forceLeave('d', { prune: false })
    m.handlePacket('o', packet({ updates: [alive('d', 5)] }))
    assert.equal(m.member('d'), undefined)
    assert.equal(m.stats().drops['force-left'], 1)
    m.handlePacket('o', packet({ updates: [alive('d', 6)] }))
    assert.equal(m.member('d')?.state, 'alive')
  })
})

describe('ping', () => {
  it('resolves to the round trip of a live member', async () => {
    const { net, nodes } = await simCluster(['a', 'b'], { config: local, latencyMs: 7 })
    const rtt = nodes[0].ping('b', { timeoutMs: 500 })
    await net.clock.run(100)
    assert.equal(await rtt, 14)
  })

  it('rejects with TimeoutError when the member does not answer, and suspects nobody', async () => {
    const { net, nodes } = await simCluster(['a', 'b'], { config: local })
    net.crash('b')
    const suspicions = nodes[0].stats().suspicions
    const p = nodes[0].ping('b', { timeoutMs: 50 })
    const settled = assert.rejects(p, { name: 'TimeoutError', code: 'ERR_TIMEOUT' })
    await net.clock.run(60, 10)
    await settled
    assert.equal(nodes[0].stats().suspicions, suspicions)
  })

  it('rejects unknown members, aborted signals, and more than MAX_PENDING_PINGS at once', async () => {
    const { m } = await lone('a')
    m.restore([alive('b', 1)])
    await assert.rejects(m.ping('nobody'), { name: 'UnknownMemberError' })
    const controller = new AbortController()
    const aborted = m.ping('b', { signal: controller.signal, timeoutMs: 1000 })
    controller.abort(Object.assign(new Error('stop'), { name: 'AbortError' }))
    await assert.rejects(aborted, { name: 'AbortError' })
    const pending = Array.from({ length: MAX_PENDING_PINGS }, () => m.ping('b', { timeoutMs: 1000 }).catch((e) => e))
    await assert.rejects(m.ping('b'), { name: 'TooManyPingsError' })
    m.stop()
    for (const e of await Promise.all(pending)) assert.equal((e as Error).name, 'NotStartedError')
  })

  it('an ack from someone else does not answer our ping', async () => {
    const { m, sent } = await lone('a')
    m.restore([alive('b', 1), alive('c', 1)])
    const p = m.ping('b', { timeoutMs: 1000 })
    const seq = sent.at(-1)!.packet.ping!.seq
    m.handlePacket('c', packet({ ack: { seq, payload: EMPTY } }))
    assert.equal(m.stats().drops['unexpected-ack'], 1)
    m.handlePacket('b', packet({ ack: { seq, payload: EMPTY } }))
    assert.equal(await p, 0)
  })
})
