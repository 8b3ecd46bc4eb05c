import assert from 'node:assert/strict'
import { fnvDigest, type Member } from '@murmur/core'
import { alive, lone, packet, runUntil, simCluster } from './helpers.ts'

const local = { profile: 'local' as const }

function body(n: number, seed: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

describe('reports', () => {
  it('a report set on one member reaches every member, checked against its digest, with member:update', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'], { config: local })
    const [a, b, c] = nodes
    const updates: Member[] = []
    for (const m of [b, c]) m.addEventListener('member:update', (e) => e.detail.report && updates.push(e.detail))
    const report = body(32 * 1024, 1)
    a.setReport(report)
    await runUntil(net, () => b.member('a')?.report !== undefined && c.member('a')?.report !== undefined, 5_000)
    assert.deepEqual(b.member('a')?.report, report)
    assert.deepEqual(a.self().report, report)
    assert.equal(updates.length, 2)
    assert.equal(b.stats().reportsFetched, 1)
    // a new report replaces the old one everywhere; the claims stay small
    const next = body(1000, 2)
    a.setReport(next)
    await runUntil(net, () => c.member('a')?.report?.byteLength === 1000, 5_000)
    assert.deepEqual(c.member('a')?.report, next)
    a.setReport(undefined)
    await runUntil(net, () => c.member('a')?.report === undefined, 5_000)
    assert.equal(c.reportStats().count, 0)
  })

  it('fetches from another member that holds it when the owner does not serve it', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'], { config: local })
    const [a, b, c] = nodes
    // a serves c, but refuses b (as an owner that is overloaded or unreachable from b would)
    const serve = a.handleFetch.bind(a)
    Object.assign(a, {
      handleFetch: (from: string, bytes: Uint8Array) =>
        from === 'b' ? Promise.reject(new Error('busy')) : serve(from, bytes),
    })
    a.setReport(body(4096, 4))
    await runUntil(net, () => c.member('a')?.report !== undefined && b.member('a')?.report !== undefined, 30_000)
    assert.deepEqual(b.member('a')?.report, body(4096, 4))
    assert.ok(b.stats().reportFetchFailures >= 1, 'the owner was tried first')
    assert.ok(c.stats().reportsServed >= 1, 'c served it')
  })

  it('a body that does not match the signed digest is dropped and counted, and its server avoided', async () => {
    const { net, nodes } = await simCluster(['a', 'b'], { config: local })
    const [a, b] = nodes
    // a serves other bytes of the right size than the report it announced
    Object.assign(a, { handleFetch: async () => body(2048, 9) })
    a.setReport(body(2048, 5))
    await runUntil(net, () => b.stats().drops['report-digest'] >= 1, 5_000)
    await net.clock.run(5_000)
    assert.equal(b.member('a')?.report, undefined)
    assert.equal(b.stats().drops['report-digest'], 1, 'not asked again at once')
  })

  it('bounds: setReport over maxReportBytes throws; claims with a bad digest or size are dropped', async () => {
    const { m } = await lone('a', { config: { maxReportBytes: 1024 } })
    assert.throws(() => m.setReport(new Uint8Array(1025)), { name: 'InvalidArgumentError' })
    const digest = fnvDigest(new Uint8Array(10))
    m.handlePacket('x', packet({ updates: [alive('x', 1, { reportDigest: digest.slice(0, 31), reportSize: 10 })] }))
    assert.equal(m.stats().drops['invalid-claim'], 1)
    m.handlePacket('x', packet({ updates: [alive('x', 1, { reportDigest: digest, reportSize: 2048 })] }))
    assert.equal(m.stats().drops['too-large'], 1)
    m.handlePacket('x', packet({ updates: [alive('x', 1, { reportDigest: digest })] }))
    assert.equal(m.stats().drops['invalid-claim'], 2)
    assert.equal(m.member('x'), undefined)
    m.handlePacket('x', packet({ updates: [alive('x', 1, { reportDigest: digest, reportSize: 10 })] }))
    assert.equal(m.member('x')?.state, 'alive')
  })

  it('holds at most reportCacheBytes of others’ reports, evicting the least recently used (counted)', async () => {
    const ids = ['a', 'b', 'c', 'd']
    const { net, nodes } = await simCluster(ids, { config: { ...local, reportCacheBytes: 3 * 1024 } })
    for (const [i, m] of nodes.entries()) m.setReport(body(1024, i))
    await net.clock.run(1_000)
    const d = nodes[3]
    const synced = Promise.all(['a', 'b', 'c'].map((id) => d.pushPull(id)))
    await net.clock.run(3_000)
    await synced
    assert.ok(d.reportStats().bytes <= 3 * 1024 + 1024, `held ${d.reportStats().bytes}`)
    assert.ok(d.stats().reportEvictions >= 1)
    assert.deepEqual(d.self().report, body(1024, 3), 'our own is never evicted')
  })

  it('serves report requests to live members only', async () => {
    const { m } = await lone('a')
    m.setReport(body(100, 1))
    await assert.rejects(m.handleFetch('stranger', new Uint8Array(0)))
    m.restore([alive('b', 1)])
    await assert.rejects(m.handleFetch('b', Uint8Array.from([0xff, 0xff])))
    assert.equal(m.stats().drops.malformed, 1)
  })
})
