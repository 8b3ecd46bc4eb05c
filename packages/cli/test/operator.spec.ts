import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { main } from '../src/index.ts'
import { checkReachability, resolveMemberId } from '../src/reachability.ts'
import { encodeInfo } from '../src/tags.ts'
import { captureIO } from './io.ts'

const run = async (...args: string[]) => {
  const io = captureIO()
  const code = await main(['node', 'murmur', ...args], io)
  return { code, io }
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

describe('murmur --version, force-leave, reachability (no agent)', () => {
  for (const flag of ['--version', '-V']) {
    it(`${flag} prints package.json's version and exits 0`, async () => {
      const { code, io } = await run(flag)
      assert.equal(code, 0)
      assert.equal(io.stdout.join('').trim(), pkg.version)
    })
  }

  it('force-leave needs an id; reachability refuses a timeout outside 1ms..10s', async () => {
    assert.equal((await run('force-leave')).code, 2)
    for (const t of ['0', '11s', 'soon']) assert.equal((await run('reachability', '--timeout', t)).code, 2, t)
  })

  it('force-leave and reachability say there is no agent (exit 4)', async () => {
    for (const args of [['force-leave', 'x'], ['reachability']]) {
      const { code } = await run(...args, '--api', '127.0.0.1:1')
      assert.equal(code, 4, args.join(' '))
    }
  })
})

describe('checkReachability', () => {
  const member = (id: string, state: string, name?: string) => ({
    id,
    state,
    metadata: encodeInfo({ name, tags: {} }),
  })

  it('pings live members only, at most `concurrency` at once, and reports who did not answer', async () => {
    let inFlight = 0
    let most = 0
    const pinged: string[] = []
    const service = {
      self: () => member('me', 'alive') as never,
      members: () =>
        [
          member('me', 'alive'),
          ...Array.from({ length: 10 }, (_, i) => member(`p${i}`, i === 9 ? 'dead' : 'alive', `n${i}`)),
          member('s', 'suspect'),
        ] as never,
      ping: async (id: string, o?: { timeoutMs?: number }) => {
        pinged.push(id)
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((r) => setTimeout(r, 2))
        inFlight--
        if (id === 'p3' || id === 's')
          throw Object.assign(new Error(`no ack within ${o?.timeoutMs}`), { name: 'TimeoutError', code: 'ERR_TIMEOUT' })
        return 1.234
      },
    }
    const results = await checkReachability(service, 50, 3)
    assert.equal(most, 3)
    assert.deepEqual(pinged.sort(), ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 's'])
    assert.deepEqual(
      results.filter((r) => r.rttMs === null).map((r) => [r.id, r.error]),
      [
        ['p3', 'ERR_TIMEOUT'],
        ['s', 'ERR_TIMEOUT'],
      ],
    )
    assert.deepEqual(results[0], { id: 'p0', name: 'n0', rttMs: 1.23 })
  })

  it('resolveMemberId takes an id, a name or a unique id prefix', () => {
    const ms = [member('12D3KooWaaa', 'dead', 'web-1'), member('12D3KooWbbb', 'dead', 'web-2')]
    assert.equal(resolveMemberId(ms, '12D3KooWaaa'), '12D3KooWaaa')
    assert.equal(resolveMemberId(ms, 'web-2'), '12D3KooWbbb')
    assert.equal(resolveMemberId(ms, '12D3KooWb'), '12D3KooWbbb')
    assert.equal(resolveMemberId(ms, '12D3KooW'), '12D3KooW') // ambiguous: left for the engine to refuse
  })
})
