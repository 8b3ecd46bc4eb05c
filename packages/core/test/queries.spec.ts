import assert from 'node:assert/strict'
import type { Membership, MembershipInit, QueryAnswer, QueryResult, Signer, Verifier } from '@murmur/core'
import {
  type Query,
  type QueryResponse,
  querySigningBytes,
  responseSigningBytes,
  updateSigningBytes,
} from '@murmur/core/wire'
import { alive, lone, packet, runUntil, simCluster } from './helpers.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** A forgeable stand-in for Ed25519 (as in trust.spec.ts): a checksum of the signer's id and the bytes. */
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

/** Tags as metadata `k=v,k=v` (the engine holds metadata as opaque bytes). */
const tagsOf = (m: Uint8Array): Record<string, string> =>
  Object.fromEntries(
    dec
      .decode(m)
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => kv.split('=') as [string, string]),
  )

/** Collects a query's answers while virtual time runs; resolves when the iterable ends. */
function collect(q: QueryResult): { answers: QueryAnswer[]; done: Promise<void> } {
  const answers: QueryAnswer[] = []
  const done = (async () => {
    for await (const a of q) answers.push(a)
  })()
  return { answers, done }
}

function answersOf(list: QueryAnswer[]): string[] {
  return list
    .filter((a) => !a.ack)
    .map((a) => `${a.from}:${dec.decode((a as { payload: Uint8Array }).payload)}`)
    .sort()
}

function echo(m: Membership): void {
  m.handleQuery('who', (q) => enc.encode(`${m.id} got ${dec.decode(q.payload)}`))
}

const query = (origin: string, seq: number, extra: Partial<Query> = {}): Query => ({
  origin,
  incarnation: 0,
  seq,
  name: 'who',
  payload: new Uint8Array(0),
  filterIds: [],
  filterTags: [],
  timeoutMs: 1000,
  wantAck: false,
  relayFactor: 0,
  signature: new Uint8Array(0),
  ...extra,
})
const signQuery = (q: Query): Query => ({ ...q, signature: checksum(q.origin, querySigningBytes(q)) })
const response = (q: Query, from: string, payload: string, extra: Partial<QueryResponse> = {}): QueryResponse => {
  const r: QueryResponse = {
    origin: q.origin,
    incarnation: q.incarnation,
    seq: q.seq,
    from,
    ack: false,
    payload: enc.encode(payload),
    signature: new Uint8Array(0),
    ...extra,
  }
  return { ...r, signature: checksum(from, responseSigningBytes(r)) }
}

/** `a` (signing, verifying) knowing members b and c, with a query of its own in flight. */
async function asking(init: Partial<MembershipInit> = {}) {
  const env = await lone('a', { signer: signerFor('a'), verifier, ...init })
  const sign = (id: string) => {
    const u = alive(id)
    return { ...u, signature: checksum(id, updateSigningBytes(u)) }
  }
  env.m.handlePacket('b', packet({ updates: [sign('b'), sign('c')] }))
  assert.equal(env.m.member('c')?.state, 'alive')
  const q = env.m.query('who', enc.encode('?'), { timeoutMs: 5000 })
  env.clock.advance(env.m.config.gossipIntervalMs * 2)
  const sent = env.sent.flatMap((s) => s.packet.queries)
  assert.ok(sent.length > 0, 'the query is gossiped')
  return { ...env, q, wire: sent[0] }
}

describe('queries', () => {
  it('every member answers once, the asker included, and the iterable ends at the deadline', async () => {
    const ids = ['a', 'b', 'c', 'd']
    const { net, nodes } = await simCluster(ids)
    for (const m of nodes) echo(m)
    const { answers, done } = collect(nodes[0].query('who', enc.encode('hi'), { timeoutMs: 2000 }))
    let ended = false
    void done.then(() => {
      ended = true
    })
    await runUntil(net, () => answers.length === 4, 2000)
    assert.equal(ended, false, 'still open before the deadline')
    await runUntil(net, () => ended, 2500)
    assert.deepEqual(answersOf(answers), ['a:a got hi', 'b:b got hi', 'c:c got hi', 'd:d got hi'])
    assert.equal(nodes[0].stats().queries, 1)
    assert.equal(nodes[0].stats().queryAnswers, 4)
  })

  it('reaches every member of a small cluster, whose retransmit limit is as small as its member count', async () => {
    // local profile, 3 members: each query is sent twice in all by each node that has it; a
    // probe's packet to one member and the gossip round after it used to spend both on that one
    let missed = 0
    for (let seed = 1; seed <= 12; seed++) {
      const { net, nodes } = await simCluster(['a', 'b', 'c'], { seed, config: { profile: 'local' } })
      for (const m of nodes) echo(m)
      for (let i = 0; i < 6; i++) {
        const { answers, done } = collect(nodes[i % 3].query('who', enc.encode(`${i}`), { timeoutMs: 600 }))
        await runUntil(net, () => answers.length === 3, 600, 10).catch(() => missed++)
        await net.clock.run(700) // past the deadline, and a new phase against the probe beat
        await done
      }
    }
    assert.equal(missed, 0, `${missed} of 72 queries missed a member`)
  })

  it('filters: by member id, by tag (the whole value must match), and nothing matches tags without tagsOf', async () => {
    const roles: Record<string, string> = { a: 'role=web,zone=eu-1', b: 'role=db,zone=eu-2', c: 'role=web,zone=us-1' }
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd'], {
      init: (id) => (id === 'd' ? { metadata: enc.encode('role=web') } : { metadata: enc.encode(roles[id]), tagsOf }),
    })
    for (const m of nodes) echo(m)
    const ask = async (filter: { ids?: string[]; tags?: string[] }) => {
      const { answers, done } = collect(nodes[1].query('who', undefined, { filter, timeoutMs: 1000 }))
      await net.clock.run(1100, 10)
      await done
      return answers.map((a) => a.from).sort()
    }
    assert.deepEqual(await ask({ ids: ['a', 'c'] }), ['a', 'c'])
    assert.deepEqual(await ask({ tags: ['role=web'] }), ['a', 'c'], 'd has no tagsOf: no tags to match')
    assert.deepEqual(await ask({ tags: ['role=web', 'zone=eu-.*'] }), ['a'])
    assert.deepEqual(await ask({ tags: ['zone=eu'] }), [], 'anchored: a prefix is not a match')
    assert.deepEqual(await ask({ tags: ['role=(web|db)'], ids: ['b', 'c', 'd'] }), ['b', 'c'])
  })

  it('acks on receipt with requestAck, then answers; a member without a handler only acks', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c'])
    echo(nodes[0])
    echo(nodes[1])
    const { answers, done } = collect(nodes[0].query('who', undefined, { requestAck: true, timeoutMs: 1000 }))
    await net.clock.run(1100, 10)
    await done
    assert.deepEqual(
      answers
        .filter((a) => a.ack)
        .map((a) => a.from)
        .sort(),
      ['a', 'b', 'c'],
    )
    assert.deepEqual(
      answers
        .filter((a) => !a.ack)
        .map((a) => a.from)
        .sort(),
      ['a', 'b'],
    )
  })

  it('relayed answers arrive once each, however many ways they came', async () => {
    const { net, nodes } = await simCluster(['a', 'b', 'c', 'd', 'e'])
    for (const m of nodes) echo(m)
    const { answers, done } = collect(nodes[0].query('who', undefined, { relayFactor: 3, timeoutMs: 1000 }))
    await net.clock.run(1100, 10)
    await done
    assert.deepEqual(answers.map((a) => a.from).sort(), ['a', 'b', 'c', 'd', 'e'])
    const relays = nodes.reduce((n, m) => n + m.stats().queryRelays, 0)
    assert.ok(relays >= 4, `answers were relayed (${relays})`)
    assert.ok(nodes[0].stats().queryDuplicates >= 4, 'and the copies dropped')
  })

  it('a handler that answers after the deadline sends nothing; a slow caller gets what came in time', async () => {
    const { net, nodes } = await simCluster(['a', 'b'])
    nodes[1].handleQuery(
      'slow',
      (q) =>
        new Promise((resolve) => {
          net.clock.setTimeout(() => resolve(enc.encode('late')), 800)
          q.signal.addEventListener('abort', () => resolve(undefined))
        }),
    )
    const { answers, done } = collect(nodes[0].query('slow', undefined, { timeoutMs: 500 }))
    await net.clock.run(2000, 10)
    await done
    assert.deepEqual(answers, [])
    assert.equal(nodes[0].stats().drops['unknown-query'], 0, 'nothing was even sent')
  })

  it('refuses at query(): oversized payload, long name, bad filter, timeout, relay factor, too many in flight', async () => {
    const { m } = await lone('a', { config: { maxQueriesInFlight: 2 } })
    const big = new Uint8Array(m.config.maxQueryBytes + 1)
    assert.throws(() => m.query('x', big), { name: 'InvalidArgumentError' })
    assert.throws(() => m.query('x'.repeat(129)), { name: 'InvalidArgumentError' })
    assert.throws(() => m.query('x', undefined, { filter: { tags: ['role=(a'] } }), { name: 'InvalidArgumentError' })
    assert.throws(() => m.query('x', undefined, { filter: { tags: ['(a)\\1'] } }), { name: 'InvalidArgumentError' })
    assert.throws(() => m.query('x', undefined, { timeoutMs: m.config.maxQueryTimeoutMs + 1 }), {
      name: 'InvalidArgumentError',
    })
    assert.throws(() => m.query('x', undefined, { relayFactor: 6 }), { name: 'InvalidArgumentError' })
    m.query('x')
    const second = m.query('x')
    assert.throws(() => m.query('x'), { name: 'TooManyQueriesError', code: 'ERR_TOO_MANY_QUERIES' })
    second.cancel()
    m.query('x') // room again
    assert.equal(m.stats().queries, 3)
  })

  it('answers: a duplicate is dropped, a forged or unsigned one is dropped and counted, a stranger is refused', async () => {
    const { m, q, wire } = await asking()
    const { answers } = collect(q)
    m.handlePacket('b', packet({ responses: [response(wire, 'b', 'yes')] }))
    m.handlePacket('c', packet({ responses: [response(wire, 'b', 'yes')] })) // relayed copy
    m.handlePacket('c', packet({ responses: [{ ...response(wire, 'c', 'x'), payload: enc.encode('forged') }] }))
    m.handlePacket('c', packet({ responses: [{ ...response(wire, 'c', 'x'), signature: new Uint8Array(0) }] }))
    m.handlePacket('z', packet({ responses: [response(wire, 'z', 'stranger')] }))
    m.handlePacket('b', packet({ responses: [response({ ...wire, seq: 99 }, 'b', 'no such query')] }))
    m.handlePacket('b', packet({ responses: [response(wire, 'b', 'x'.repeat(m.config.maxQueryResponseBytes + 1))] }))
    await new Promise((r) => setImmediate(r))
    assert.deepEqual(answersOf(answers), ['b:yes'])
    const s = m.stats()
    assert.equal(s.queryDuplicates, 1)
    assert.equal(s.drops['bad-signature'], 2)
    assert.equal(s.drops['unknown-member'], 1)
    assert.equal(s.drops['unknown-query'], 1)
    assert.equal(s.drops['too-large'], 1)
    q.cancel()
    m.handlePacket('c', packet({ responses: [response(wire, 'c', 'after cancel')] }))
    assert.equal(m.stats().drops['unknown-query'], 2)
  })

  it("queries: only members' count, signed by their origin, once; replays, oversize and bad filters are dropped", async () => {
    const { m } = await asking()
    const handled: string[] = []
    m.handleQuery('*', (info) => {
      handled.push(`${info.origin}:${info.name}`)
      return undefined
    })
    const q1 = signQuery(query('b', 1))
    m.handlePacket('b', packet({ queries: [q1] }))
    m.handlePacket('c', packet({ queries: [q1] })) // gossiped again
    m.handlePacket('b', packet({ queries: [signQuery(query('z', 1))] })) // a stranger's
    m.handlePacket('b', packet({ queries: [{ ...signQuery(query('b', 2)), name: 'tampered' }] }))
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 3, { payload: new Uint8Array(513) }))] }))
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 4, { filterTags: ['role=(a|a)*\\2'] }))] }))
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 40))] }))
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 5))] })) // 35 behind: past the window, stale
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 20))] })) // within it, not seen: new
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 20))] }))
    assert.deepEqual(handled, ['b:who', 'b:who', 'b:who'])
    const s = m.stats()
    assert.equal(s.drops['unknown-member'], 1)
    assert.equal(s.drops['bad-signature'], 1)
    assert.equal(s.drops['too-large'], 1)
    assert.equal(s.drops['invalid-filter'], 1)
    assert.equal(s.updatesStale, 3, 'the two repeats and the one past the window')
  })

  it('a query from a member is answered straight back to its origin, signed by us', async () => {
    const { m, sent, clock } = await asking()
    m.handleQuery('who', () => enc.encode('from a'))
    const from = sent.length
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 1, { wantAck: true }))] }))
    void clock
    const toB = sent
      .slice(from)
      .filter((s) => s.to === 'b')
      .flatMap((s) => s.packet.responses)
    assert.equal(toB.length, 2)
    const [ack, answer] = toB
    assert.equal(ack.ack, true)
    assert.equal(dec.decode(answer.payload), 'from a')
    assert.ok(verifier.verify('a', responseSigningBytes(answer), answer.signature))
  })

  it('a handler runs at most maxQueryHandlers at once; more queries are counted (query-limit)', async () => {
    const { m } = await asking({ config: { maxQueryHandlers: 1 } })
    let calls = 0
    m.handleQuery('who', () => {
      calls++
      return new Promise<undefined>(() => {}) // never answers: held until its deadline
    })
    m.handlePacket('b', packet({ queries: [signQuery(query('b', 1)), signQuery(query('b', 2))] }))
    assert.equal(calls, 1)
    assert.equal(m.stats().drops['query-limit'], 1)
  })
})
