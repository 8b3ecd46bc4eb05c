import assert from 'node:assert/strict'
import { request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AgentControl, createApiServer } from '../src/index.ts'

/** One raw request with the headers a browser would send (node's client lets us forge them). */
function call(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; code?: string; type?: string; csp?: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => {
        text += c.toString()
      })
      // the event stream never ends: its headers are the answer
      if (path === '/v1/events' && res.statusCode === 200) res.destroy()
      const done = () => {
        let code: string | undefined
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
        } catch {
          code = undefined
        }
        resolve({
          status: res.statusCode ?? 0,
          code,
          type: res.headers['content-type'],
          csp: res.headers['content-security-policy'] as string | undefined,
        })
      }
      res.on('end', done)
      res.on('close', done)
    })
    req.on('error', reject)
    req.end()
  })
}

const self = {
  id: 'peer0',
  name: 'n0',
  addrs: [],
  state: 'alive' as const,
  incarnation: 1,
  tags: {},
  rttMs: null,
  stateChangedAt: '2026-01-01T00:00:00.000Z',
  reason: null,
}

function fakeAgent(calls: string[]): AgentControl {
  const refuse = () => {
    throw new Error('not in this test')
  }
  return {
    forceLeave: refuse,
    reachability: refuse,
    self: () => self,
    members: () => [self],
    join: async () => {
      calls.push('join')
      return 1
    },
    leave: async () => {
      calls.push('leave')
    },
    setTags: () => ({}),
    event: async () => {
      calls.push('event')
    },
    query: refuse,
    info: () => ({ id: 'peer0', name: 'n0', api: '127.0.0.1:1', config: { cluster: 'murmur' } }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    subscribe: () => () => {},
  } as unknown as AgentControl
}

async function serve(ui: boolean, calls: string[]): Promise<{ server: Server; port: number }> {
  const server = createApiServer(fakeAgent(calls), () => {}, { ui })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port }
}

describe('control API guard: the web view (--ui)', () => {
  let server: Server | undefined
  afterEach(() => {
    server?.closeAllConnections()
    server?.close()
    server = undefined
  })

  it('serves the page and its same-origin GETs (info, members, events), with a CSP that forbids framing', async () => {
    const s = await serve(true, [])
    server = s.server
    const typed = await call(s.port, 'GET', '/ui', { 'sec-fetch-site': 'none' })
    assert.equal(typed.status, 200)
    assert.match(typed.type ?? '', /text\/html/)
    assert.match(typed.csp ?? '', /frame-ancestors 'none'/)
    assert.match(typed.csp ?? '', /connect-src 'self'/)
    for (const path of ['/ui', '/v1/info', '/v1/members', '/v1/events']) {
      const r = await call(s.port, 'GET', path, { 'sec-fetch-site': 'same-origin', accept: 'text/event-stream' })
      assert.equal(r.status, 200, path)
    }
  })

  it('refuses cross-site and same-site pages, any Origin, other routes and every POST, even same-origin', async () => {
    const calls: string[] = []
    const s = await serve(true, calls)
    server = s.server
    const refused = [
      ['GET', '/v1/members', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
      ['GET', '/v1/members', { 'sec-fetch-site': 'cross-site' }],
      ['GET', '/v1/events', { 'sec-fetch-site': 'same-site', origin: 'http://localhost:8080' }],
      ['GET', '/ui', { 'sec-fetch-site': 'cross-site' }],
      // same-origin but with an Origin header: browsers add it to anything that is not a plain read
      ['GET', '/v1/members', { 'sec-fetch-site': 'same-origin', origin: 'http://127.0.0.1' }],
      // same-origin reads outside what the page needs
      ['GET', '/v1/self', { 'sec-fetch-site': 'same-origin' }],
      ['GET', '/metrics', { 'sec-fetch-site': 'same-origin' }],
      // actions, even from the page's own origin
      ['POST', '/v1/leave', { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }],
      ['POST', '/v1/event', { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json', origin: 'x' }],
      ['POST', '/v1/join', { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }],
    ] as const
    for (const [method, path, headers] of refused) {
      const r = await call(s.port, method, path, { ...headers })
      assert.equal(r.status, 403, `${method} ${path} ${JSON.stringify(headers)}`)
      assert.equal(r.code, 'ERR_BROWSER_ORIGIN')
    }
    // a DNS-rebinding page reaches the port under its own name: refused before anything else
    const rebound = await call(s.port, 'GET', '/v1/members', { 'sec-fetch-site': 'same-origin', host: 'evil.example' })
    assert.equal(rebound.code, 'ERR_BAD_HOST')
    assert.deepEqual(calls, [], 'no action ran')
  })

  it('without --ui, same-origin browser requests are refused and /ui does not exist', async () => {
    const s = await serve(false, [])
    server = s.server
    const r = await call(s.port, 'GET', '/v1/members', { 'sec-fetch-site': 'same-origin' })
    assert.equal(r.code, 'ERR_BROWSER_ORIGIN')
    assert.equal((await call(s.port, 'GET', '/ui')).status, 404)
  })
})
