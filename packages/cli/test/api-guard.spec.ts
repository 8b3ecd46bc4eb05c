import assert from 'node:assert/strict'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AgentControl, ApiClient, type ApiServerOptions, createApiServer, EXIT, main } from '../src/index.ts'
import { captureIO } from './io.ts'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  code: string | undefined
}

/** One raw request: node's http client lets a test forge Host, Origin and Content-Type like a browser would. */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  setHost = true,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => {
        text += c.toString()
      })
      res.on('end', () => {
        let code: string | undefined
        try {
          code = (JSON.parse(text) as { error?: { code?: string } }).error?.code
        } catch {
          code = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, code })
      })
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

function fakeAgent(): AgentControl & { calls: string[] } {
  const calls: string[] = []
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
  return {
    calls,
    self: () => self,
    members: () => [self],
    join: async (addrs) => addrs.length,
    leave: async () => void calls.push('leave'),
    setTags: (set) => set,
    event: async (name) => void calls.push(`event ${name}`),
    forceLeave: async (id) => {
      calls.push(`force-leave ${id}`)
      return { id }
    },
    reachability: async () => [],
    query: () => {
      calls.push('query')
      return { cancel: () => {}, async *[Symbol.asyncIterator]() {} }
    },
    info: () => ({ id: 'peer0' }),
    metrics: async () => ({ contentType: 'text/plain', body: 'murmur_probes_total 1\n' }),
    subscribe: () => () => {},
  }
}

describe('control API token options', () => {
  it('--help documents the token options and their environment variables', async () => {
    for (const command of ['agent', 'members', 'leave', 'monitor']) {
      const io = captureIO()
      assert.equal(await main(['node', 'murmur', command, '--help'], io), 0)
      assert.match(io.text().replace(/\s+/g, ' '), /--api-token-file <path> .*env: MURMUR_API_TOKEN_FILE/, command)
    }
  })
})

describe('control API hardening', () => {
  let server: Server
  let port: number
  let agent: ReturnType<typeof fakeAgent>

  async function serve(options?: ApiServerOptions): Promise<void> {
    agent = fakeAgent()
    server = createApiServer(agent, () => {}, options)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  }
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  describe('Host header (DNS rebinding)', () => {
    beforeEach(() => serve())

    it('accepts the loopback names with the bound port', async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
        assert.equal((await call(port, 'GET', '/v1/self', { host })).status, 200, host)
      }
    })

    it('refuses any other Host with 403 ERR_BAD_HOST, on every route', async () => {
      const hosts = [
        `evil.example:${port}`,
        'evil.example',
        `127.0.0.1:${port + 1}`,
        '127.0.0.1',
        `127.0.0.2:${port}`,
        `localhost.evil.example:${port}`,
      ]
      for (const host of hosts) {
        for (const path of ['/v1/members', '/v1/info', '/metrics', '/v1/events']) {
          const r = await call(port, 'GET', path, { host })
          assert.equal(r.status, 403, `${host} ${path}`)
          assert.equal(r.code, 'ERR_BAD_HOST')
        }
      }
      // node itself answers 400 to an HTTP/1.1 request without Host; either way it is refused
      const missing = await call(port, 'GET', '/v1/self', {}, undefined, false)
      assert.ok(missing.status === 400 || missing.code === 'ERR_BAD_HOST', String(missing.status))
    })
  })

  describe('browsers', () => {
    beforeEach(() => serve())

    it('refuses any request with an Origin header, even its own, with 403 ERR_BROWSER_ORIGIN', async () => {
      for (const origin of ['http://evil.example', `http://127.0.0.1:${port}`, 'null']) {
        const r = await call(port, 'POST', '/v1/leave', { origin, 'content-type': 'application/json' }, '{}')
        assert.equal(r.status, 403, origin)
        assert.equal(r.code, 'ERR_BROWSER_ORIGIN')
        const g = await call(port, 'GET', '/v1/members', { origin })
        assert.equal(g.code, 'ERR_BROWSER_ORIGIN')
      }
      assert.deepEqual(agent.calls, [], 'the agent never left')
    })

    it('refuses Sec-Fetch-Site other than none (a page, not a typed URL)', async () => {
      for (const site of ['cross-site', 'same-site', 'same-origin']) {
        const r = await call(port, 'GET', '/v1/events', { 'sec-fetch-site': site })
        assert.equal(r.code, 'ERR_BROWSER_ORIGIN', site)
      }
      assert.equal((await call(port, 'GET', '/metrics', { 'sec-fetch-site': 'none' })).status, 200)
    })

    it('needs Content-Type: application/json on POST, else 415 and nothing happens', async () => {
      const refused: Array<Record<string, string>> = [
        {},
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
        { 'content-type': 'multipart/form-data; boundary=x' },
        { 'content-type': 'application/jsonx' },
      ]
      for (const headers of refused) {
        for (const body of [undefined, '{}', '{"name":"x"}']) {
          const r = await call(port, 'POST', body?.includes('name') ? '/v1/event' : '/v1/leave', headers, body)
          assert.equal(r.status, 415, JSON.stringify(headers))
          assert.equal(r.code, 'ERR_UNSUPPORTED_MEDIA_TYPE')
        }
      }
      assert.deepEqual(agent.calls, [])
      for (const ct of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset=UTF-8']) {
        assert.equal((await call(port, 'POST', '/v1/event', { 'content-type': ct }, '{"name":"x"}')).status, 200, ct)
      }
      assert.equal((await call(port, 'POST', '/v1/leave', { 'content-type': 'application/json' })).status, 200)
      assert.deepEqual(agent.calls, ['event x', 'event x', 'event x', 'leave'])
    })
  })

  describe('bearer token', () => {
    const token = 'c2VjcmV0LXRva2VuLWZvci10ZXN0cw'
    beforeEach(() => serve({ token }))

    it('answers 401 ERR_UNAUTHORIZED without the right token, on every route, /metrics included', async () => {
      const wrong: Array<Record<string, string>> = [
        {},
        { authorization: 'Bearer nope' },
        { authorization: token },
        { authorization: `Basic ${token}` },
      ]
      for (const headers of wrong) {
        for (const [method, path] of [
          ['GET', '/v1/members'],
          ['GET', '/metrics'],
          ['GET', '/v1/events'],
          ['POST', '/v1/leave'],
        ]) {
          const body = method === 'POST' ? '{}' : undefined
          const r = await call(port, method, path, { ...headers, 'content-type': 'application/json' }, body)
          assert.equal(r.status, 401, `${JSON.stringify(headers)} ${path}`)
          assert.equal(r.code, 'ERR_UNAUTHORIZED')
          assert.match(String(r.headers['www-authenticate']), /^Bearer/)
        }
      }
      assert.deepEqual(agent.calls, [])
    })

    it('serves with Authorization: Bearer <token>', async () => {
      assert.equal((await call(port, 'GET', '/metrics', { authorization: `Bearer ${token}` })).status, 200)
      const r = await call(
        port,
        'POST',
        '/v1/leave',
        { authorization: `bearer ${token}`, 'content-type': 'application/json' },
        '{}',
      )
      assert.equal(r.status, 200)
      assert.deepEqual(agent.calls, ['leave'])
    })

    it('checks the Host and Origin before the token', async () => {
      const auth = { authorization: `Bearer ${token}` }
      assert.equal((await call(port, 'GET', '/v1/self', { ...auth, host: 'evil.example' })).code, 'ERR_BAD_HOST')
      assert.equal((await call(port, 'GET', '/v1/self', { ...auth, origin: 'x' })).code, 'ERR_BROWSER_ORIGIN')
    })

    it('ApiClient sends the token and the JSON content type, bodiless POSTs included', async () => {
      const client = new ApiClient(`127.0.0.1:${port}`, { token })
      await client.post('/v1/leave')
      assert.deepEqual(agent.calls, ['leave'])
      await assert.rejects(new ApiClient(`127.0.0.1:${port}`).get('/v1/self'), {
        name: 'CliError',
        code: 'ERR_UNAUTHORIZED',
      })
      const lines: unknown[] = []
      const controller = new AbortController()
      const streaming = client.stream('/v1/events', (l) => lines.push(l), controller.signal)
      controller.abort()
      await streaming
    })

    describe('the CLI commands', () => {
      let dir: string
      const saved = { file: process.env.MURMUR_API_TOKEN_FILE, token: process.env.MURMUR_API_TOKEN }
      beforeEach(async () => {
        dir = await mkdtemp(join(tmpdir(), 'murmur-token-'))
        delete process.env.MURMUR_API_TOKEN_FILE
        delete process.env.MURMUR_API_TOKEN
      })
      afterEach(async () => {
        for (const [k, v] of [
          ['MURMUR_API_TOKEN_FILE', saved.file],
          ['MURMUR_API_TOKEN', saved.token],
        ] as const) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
        await rm(dir, { recursive: true, force: true })
      })

      const run = async (...args: string[]) => {
        const io = captureIO()
        return { code: await main(['node', 'murmur', ...args, '--api', `127.0.0.1:${port}`], io), io }
      }

      it('take the token from --api-token-file, MURMUR_API_TOKEN_FILE or MURMUR_API_TOKEN', async () => {
        const file = join(dir, 'api.token')
        await writeFile(file, `${token}\n`, { mode: 0o600 })
        assert.equal((await run('info', '--json')).code, EXIT.failure, 'no token: refused')
        const flag = await run('info', '--json', '--api-token-file', file)
        assert.equal(flag.code, 0, flag.io.text())
        assert.equal(flag.io.stderr.length, 0, 'a 0600 token file gets no warning')
        process.env.MURMUR_API_TOKEN_FILE = file
        assert.equal((await run('event', 'deploy')).code, 0)
        delete process.env.MURMUR_API_TOKEN_FILE
        process.env.MURMUR_API_TOKEN = token
        assert.equal((await run('leave')).code, 0)
        assert.deepEqual(agent.calls, ['event deploy', 'leave'])
      })

      it('warn about a token file others can read, and refuse an empty one', async () => {
        const file = join(dir, 'api.token')
        await writeFile(file, token)
        await chmod(file, 0o644)
        const loose = await run('info', '--json', '--api-token-file', file)
        assert.equal(loose.code, 0)
        assert.match(loose.io.stderr.join('\n'), new RegExp(`chmod 600 ${file}`))
        const empty = join(dir, 'empty.token')
        await writeFile(empty, '\n', { mode: 0o600 })
        const r = await run('info', '--api-token-file', empty)
        assert.equal(r.code, EXIT.usage)
      })
    })
  })
})
