import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { QueryRequest } from '../src/api/query.ts'
import { type AgentControl, type AgentEvent, createApiServer, MAX_BODY_BYTES, type MemberJson } from '../src/index.ts'

function fakeAgent(): AgentControl & {
  listeners: Set<(e: AgentEvent) => void>
  tags: Record<string, string>
  queries: QueryRequest[]
  forceLeaves: Array<{ id: string; prune: boolean }>
} {
  const members: MemberJson[] = ['alive', 'dead'].map((state, i) => ({
    id: `peer${i}`,
    name: `n${i}`,
    addrs: [],
    state: state as MemberJson['state'],
    incarnation: 1,
    tags: { role: i === 0 ? 'web' : 'db' },
    rttMs: null,
    stateChangedAt: '2026-01-01T00:00:00.000Z',
    reason: null,
  }))
  const listeners = new Set<(e: AgentEvent) => void>()
  const agent = {
    listeners,
    tags: {} as Record<string, string>,
    queries: [] as QueryRequest[],
    forceLeaves: [] as Array<{ id: string; prune: boolean }>,
    self: () => members[0],
    members: () => members,
    join: async (addrs: string[]) => {
      if (addrs[0] === 'bad')
        throw Object.assign(new Error('could not join: nobody answered'), { code: 'ERR_JOIN_FAILED' })
      return addrs.length
    },
    leave: async () => {},
    setTags: (set: Record<string, string>, unset: string[]) => {
      Object.assign(agent.tags, set)
      for (const k of unset) delete agent.tags[k]
      return agent.tags
    },
    event: async () => {},
    forceLeave: async (id: string, prune: boolean) => {
      if (id === 'alive') throw Object.assign(new Error('alive here'), { code: 'ERR_MEMBER_NOT_DEAD' })
      if (id === 'nobody') throw Object.assign(new Error('no such member'), { code: 'ERR_UNKNOWN_MEMBER' })
      agent.forceLeaves.push({ id, prune })
      return { id }
    },
    reachability: async (timeoutMs: number) => [
      { id: 'peer1', name: 'n1', rttMs: 1.5 },
      { id: 'peer2', name: '', rttMs: null, error: `ERR_TIMEOUT after ${timeoutMs}` },
    ],
    query: (q: QueryRequest) => {
      if (q.name === 'busy')
        throw Object.assign(new Error('16 in flight'), { name: 'TooManyQueriesError', code: 'ERR_TOO_MANY_QUERIES' })
      if (q.name === '')
        throw Object.assign(new Error('empty name'), { name: 'InvalidArgumentError', code: 'ERR_INVALID_ARGUMENT' })
      agent.queries.push(q)
      return {
        cancel: () => {},
        async *[Symbol.asyncIterator]() {
          yield { event: 'ack' as const, from: 'peer1', name: 'n1' }
          yield { event: 'answer' as const, from: 'peer1', name: 'n1', payload: `re: ${q.payload}` }
        },
      }
    },
    info: () => ({ id: 'peer0' }),
    metrics: async () => ({ contentType: 'text/plain', body: 'murmur_probes_total 1\n' }),
    subscribe: (l: (e: AgentEvent) => void) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    },
  }
  return agent
}

describe('control API', () => {
  let server: Server
  let base: string
  let agent: ReturnType<typeof fakeAgent>
  const errors: Error[] = []

  beforeEach(async () => {
    agent = fakeAgent()
    server = createApiServer(agent, (e) => errors.push(e))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  const post = (path: string, body: string) =>
    fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

  it('filters members by state and tag', async () => {
    const r = await fetch(`${base}/v1/members?state=alive&tag=role=web`)
    assert.equal(r.status, 200)
    const { members } = (await r.json()) as { members: MemberJson[] }
    assert.deepEqual(
      members.map((m) => m.id),
      ['peer0'],
    )
    const none = (await (await fetch(`${base}/v1/members?tag=role=cache`)).json()) as { members: unknown[] }
    assert.equal(none.members.length, 0)
  })

  it('answers malformed JSON with 400 and a stable code, and keeps serving', async () => {
    for (const body of ['{"set":', 'null', '[1,2]', '"x"']) {
      const r = await post('/v1/tags', body)
      assert.equal(r.status, 400, body)
      const e = (await r.json()) as { error: { code: string; message: string } }
      assert.equal(e.error.code, 'ERR_BAD_JSON')
    }
    const bad = await post('/v1/tags', '{"set":{"a":1}}')
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'ERR_BAD_REQUEST')
    assert.equal((await fetch(`${base}/v1/self`)).status, 200)
    assert.equal(errors.length, 0)
  })

  it('refuses a huge body with 413', async () => {
    const r = await post('/v1/event', `{"name":"x","payload":"${'a'.repeat(MAX_BODY_BYTES)}"}`)
    assert.equal(r.status, 413)
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'ERR_BODY_TOO_LARGE')
  })

  it('maps a failed join to 502 with the join error code, and unknown routes to 404', async () => {
    const r = await post('/v1/join', '{"addrs":["bad"]}')
    assert.equal(r.status, 502)
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'ERR_JOIN_FAILED')
    assert.equal((await fetch(`${base}/v1/nope`)).status, 404)
    assert.equal((await post('/v1/faults', '{}')).status, 404, 'fault injection is off by default')
  })

  it('sets and unsets tags', async () => {
    await post('/v1/tags', '{"set":{"a":"1","b":"2"}}')
    const r = await post('/v1/tags', '{"unset":["a"]}')
    assert.deepEqual(((await r.json()) as { tags: object }).tags, { b: '2' })
  })

  it('streams events as NDJSON and unsubscribes when the client goes away', async () => {
    const controller = new AbortController()
    const r = await fetch(`${base}/v1/events`, { signal: controller.signal })
    assert.equal(r.headers.get('content-type'), 'application/x-ndjson')
    const deadline = Date.now() + 5000
    while (agent.listeners.size === 0 && Date.now() < deadline) await new Promise((x) => setTimeout(x, 10))
    for (const l of agent.listeners) l({ event: 'leaving', time: 't', id: 'peer0' })
    const reader = r.body!.getReader()
    const { value } = await reader.read()
    assert.deepEqual(JSON.parse(new TextDecoder().decode(value)), { event: 'leaving', time: 't', id: 'peer0' })
    controller.abort()
    while (agent.listeners.size > 0 && Date.now() < deadline) await new Promise((x) => setTimeout(x, 10))
    assert.equal(agent.listeners.size, 0)
  })

  it('POST /v1/query streams the answers as NDJSON, then done; refusals are 400 and 429', async () => {
    const r = await post('/v1/query', JSON.stringify({ name: 'load', payload: 'x', tags: ['role=web'], ack: true }))
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('content-type'), 'application/x-ndjson')
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    assert.deepEqual(lines, [
      { event: 'ack', from: 'peer1', name: 'n1' },
      { event: 'answer', from: 'peer1', name: 'n1', payload: 're: x' },
      { event: 'done', answers: 1, acks: 1 },
    ])
    assert.deepEqual(agent.queries[0], {
      name: 'load',
      payload: 'x',
      nodes: [],
      tags: ['role=web'],
      timeoutMs: undefined,
      ack: true,
      relay: 0,
    })
    const bad = await post('/v1/query', JSON.stringify({ name: 'x', tags: 'role=web' }))
    assert.equal(bad.status, 400)
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'ERR_BAD_REQUEST')
    const invalid = await post('/v1/query', JSON.stringify({ name: '' }))
    assert.equal(invalid.status, 400)
    assert.equal(((await invalid.json()) as { error: { code: string } }).error.code, 'ERR_INVALID_ARGUMENT')
    const busy = await post('/v1/query', JSON.stringify({ name: 'busy' }))
    assert.equal(busy.status, 429)
    assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'ERR_TOO_MANY_QUERIES')
  })

  it('POST /v1/force-leave forgets a member (prune by default); 404 unknown, 409 not dead, 400 bad body', async () => {
    const ok = await post('/v1/force-leave', '{"id":"peer9"}')
    assert.equal(ok.status, 200)
    assert.deepEqual(await ok.json(), { id: 'peer9', prune: true })
    await post('/v1/force-leave', '{"id":"peer8","prune":false}')
    assert.deepEqual(agent.forceLeaves, [
      { id: 'peer9', prune: true },
      { id: 'peer8', prune: false },
    ])
    const codes = async (body: string) => {
      const r = await post('/v1/force-leave', body)
      return [r.status, ((await r.json()) as { error: { code: string } }).error.code]
    }
    assert.deepEqual(await codes('{"id":"nobody"}'), [404, 'ERR_UNKNOWN_MEMBER'])
    assert.deepEqual(await codes('{"id":"alive"}'), [409, 'ERR_MEMBER_NOT_DEAD'])
    assert.deepEqual(await codes('{"id":""}'), [400, 'ERR_BAD_REQUEST'])
    assert.deepEqual(await codes('{"id":"x","prune":"yes"}'), [400, 'ERR_BAD_REQUEST'])
  })

  it('POST /v1/reachability answers who answered and who did not; the timeout is bounded', async () => {
    const r = await post('/v1/reachability', '{"timeoutMs":250}')
    assert.equal(r.status, 200)
    const { members } = (await r.json()) as { members: Array<{ id: string; rttMs: number | null; error?: string }> }
    assert.deepEqual(
      members.map((m) => [m.id, m.rttMs]),
      [
        ['peer1', 1.5],
        ['peer2', null],
      ],
    )
    assert.equal(members[1].error, 'ERR_TIMEOUT after 250')
    for (const body of ['{"timeoutMs":0}', '{"timeoutMs":60000}', '{"timeoutMs":"1s"}']) {
      assert.equal((await post('/v1/reachability', body)).status, 400, body)
    }
  })

  it('serves Prometheus metrics', async () => {
    const r = await fetch(`${base}/metrics`)
    assert.match(await r.text(), /murmur_probes_total 1/)
  })
})
