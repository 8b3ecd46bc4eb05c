import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { BIN } from '@murmur/cli'
import { suspicionTimeout } from '@murmur/core'
import { isQuicAddr } from '@murmur/libp2p'
import { TEST_CONFIG, TestCluster } from './fixtures/cluster.ts'

const N = 4
const PROBE = TEST_CONFIG.probeIntervalMs!
/** local profile: suspicionMult 3, suspicionMaxTimeoutMult 6. */
const MAX = 6 * suspicionTimeout(3, N, PROBE)
const QUIC = '/ip4/127.0.0.1/udp/0/quic-v1'

interface Started {
  /** The agent's `ready` event, or its exit code when it exited first. */
  ready?: { addrs: string[] }
  code?: number | null
  stderr: string
}

/**
 * `murmur agent` with its QUIC module made unloadable (NAPI_RS_NATIVE_LIBRARY_PATH names a missing
 * file: the napi-rs loader then tries nothing else), until it is ready or exits (bounded), then killed.
 */
function startWithoutQuic(listen: string[]): Promise<Started> {
  const args = [BIN, 'agent', '--json', '--api', '127.0.0.1:0', ...listen.flatMap((l) => ['--listen', l])]
  const child = spawn(process.execPath, args, {
    env: { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/libp2p-quic.node' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out: Started = { stderr: '' }
  let stdout = ''
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      if (err) reject(err)
      else resolve(out)
    }
    const timer = setTimeout(() => done(new Error(`neither ready nor exited in 20 s; stderr: ${out.stderr}`)), 20_000)
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d.toString()
    })
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      const line = stdout.split('\n').find((l) => l.includes('"event":"ready"'))
      if (line !== undefined) {
        out.ready = JSON.parse(line) as { addrs: string[] }
        done()
      }
    })
    child.on('exit', (code) => {
      out.code = code
      done()
    })
  })
}

describe('integration: QUIC (murmur agent --listen /ip4/127.0.0.1/udp/0/quic-v1)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('agents on QUIC alone join, converge, and declare a kill -9 dead within the suspicion bound', async () => {
    cluster = await TestCluster.start(N, { listen: QUIC })
    const c = cluster
    for (const a of c.agents) assert.ok(a.addrs.length > 0 && a.addrs.every(isQuicAddr), a.addrs.join(' '))
    await c.waitFor(() => c.converged(), 30_000, 'convergence over QUIC')
    // each knows the others by their QUIC addresses, from their signed alive claims
    for (const o of c.agents) {
      for (const m of c.agents) if (m !== o) assert.deepEqual(c.seen(o, m)?.addrs, m.addrs)
    }
    const victim = c.agents[N - 1]
    // no connection reset on UDP: the survivors learn it only from unanswered probes
    const bound = MAX + 8 * PROBE
    const { killedAt, survivors, took } = await c.killAndAwaitDead(victim, bound)
    assert.equal(c.eventsAbout(victim, 'member:dead', killedAt).length, survivors.length)
    assert.ok(c.converged(survivors), 'no survivor lost another on the way')
    console.log(`      detection over QUIC: all survivors in ${took} ms (bound ${bound} ms)`)
  })

  it('an agent whose QUIC module does not load starts on its TCP address and warns; on QUIC alone it exits', async () => {
    const both = await startWithoutQuic(['/ip4/127.0.0.1/tcp/0', QUIC])
    assert.ok(both.ready !== undefined, `ready (exit code ${both.code}): ${both.stderr}`)
    assert.equal(both.ready.addrs.length, 1)
    assert.match(both.ready.addrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    assert.match(both.stderr, /MURMUR_QUIC_UNAVAILABLE.*QUIC is not available here/)

    const quicOnly = await startWithoutQuic([QUIC])
    assert.equal(quicOnly.ready, undefined)
    assert.notEqual(quicOnly.code, 0)
    assert.match(quicOnly.stderr, /QUIC is not available here.*listen on TCP instead/)
  })
})
