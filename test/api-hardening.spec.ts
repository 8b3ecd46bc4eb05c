import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient } from '@murmur/cli'
import { TestCluster } from './fixtures/cluster.ts'

/** A raw request, shaped like what a web page can make a browser send (node's client lets us forge Host/Origin). */
function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; code: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
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
        resolve({ status: res.statusCode ?? 0, code })
      })
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

const portOf = (api: string) => Number(api.slice(api.lastIndexOf(':') + 1))

describe('integration: the control API refuses browser-style requests', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  let dir: string | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('text/plain POST /v1/leave → 415, Origin → 403, foreign Host → 403, and the agent stays up', async () => {
    cluster = await TestCluster.start(1)
    const agent = cluster.agents[0]
    const port = portOf(agent.api)
    // a no-cors "simple request" from any page: text/plain needs no CORS preflight
    const plain = await raw(port, 'POST', '/v1/leave', { 'content-type': 'text/plain;charset=UTF-8' }, '{}')
    assert.deepEqual(plain, { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
    const form = await raw(port, 'POST', '/v1/event', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b')
    assert.deepEqual(form, { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' })
    const origin = await raw(
      port,
      'POST',
      '/v1/leave',
      { origin: 'http://evil.example', 'content-type': 'application/json' },
      '{}',
    )
    assert.deepEqual(origin, { status: 403, code: 'ERR_BROWSER_ORIGIN' })
    // DNS rebinding: the page's own name resolves to 127.0.0.1, so the Host header is the page's
    for (const path of ['/v1/members', '/v1/info', '/metrics']) {
      const rebound = await raw(port, 'GET', path, { host: `evil.example:${port}` })
      assert.deepEqual(rebound, { status: 403, code: 'ERR_BAD_HOST' }, path)
    }
    const reboundLeave = await raw(
      port,
      'POST',
      '/v1/leave',
      { host: `evil.example:${port}`, 'content-type': 'application/json' },
      '{}',
    )
    assert.deepEqual(reboundLeave, { status: 403, code: 'ERR_BAD_HOST' })

    assert.equal(agent.child.exitCode, null, 'the agent is still running')
    assert.equal(
      agent.events.some((e) => e.event === 'leaving'),
      false,
      'it never started leaving',
    )
    const self = await cluster.api(agent).get<{ id: string }>('/v1/self')
    assert.equal(self.id, agent.id, 'the CLI client still gets through')
  })

  it('with --api-token-file: 401 without the token, 200 with it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-it-token-'))
    const token = 'it-token-0123456789abcdef'
    const file = join(dir, 'api.token')
    await writeFile(file, `${token}\n`, { mode: 0o600 })
    cluster = await TestCluster.start(1, { args: () => ['--api-token-file', file] })
    const agent = cluster.agents[0]
    const port = portOf(agent.api)
    for (const path of ['/v1/self', '/v1/members', '/metrics']) {
      assert.deepEqual(await raw(port, 'GET', path), { status: 401, code: 'ERR_UNAUTHORIZED' }, path)
      const wrong = await raw(port, 'GET', path, { authorization: 'Bearer not-the-token' })
      assert.deepEqual(wrong, { status: 401, code: 'ERR_UNAUTHORIZED' }, path)
      assert.equal((await raw(port, 'GET', path, { authorization: `Bearer ${token}` })).status, 200, path)
    }
    await assert.rejects(cluster.api(agent).get('/v1/self'), { name: 'CliError', code: 'ERR_UNAUTHORIZED' })
    assert.equal(agent.child.exitCode, null)
    await new ApiClient(agent.api, { token }).post('/v1/leave')
    assert.equal(await agent.exited, 0, 'the authorised leave makes it leave and exit 0')
  })
})
