import assert from 'node:assert/strict'
import { EXIT, main } from '../src/index.ts'
import { captureIO } from './io.ts'

const run = async (...args: string[]) => {
  const io = captureIO()
  const code = await main(['node', 'murmur', ...args], io)
  return { code, io }
}

describe('murmur: argument errors (no spawning)', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['agent', '--bogus'], /unknown option '--bogus'/],
    ['a malformed multiaddr', ['agent', '--join', 'not-an-addr'], /is not a multiaddr/],
    ['a tag without =', ['agent', '--tag', 'role'], /expected key=value/],
    ['a bad tag key', ['agent', '--tag', 'ro le=x'], /tag key/],
    ['a non-loopback API address', ['agent', '--api', '10.1.2.3:7373'], /loopback only/],
    ['a bad API address', ['members', '--api', 'nowhere'], /host:port/],
    ['an unknown profile', ['agent', '--profile', 'fast'], /Allowed choices are lan, wan, local/],
    ['a bad peer id in --allow', ['agent', '--allow', 'bob'], /not a libp2p peer id/],
    ['a bad duration', ['agent', '--retry-interval', 'soon'], /not a duration/],
    ['a bad retry count', ['agent', '--retry-max', '-1'], /positive whole number|unknown option/],
    ['too few demo nodes', ['demo', '--nodes', '1'], /from 3 to 20/],
    ['a bad state filter', ['members', '--state', 'zombie'], /Allowed choices/],
    ['an unknown command', ['explode'], /unknown command 'explode'/],
    ['a missing argument', ['join'], /missing required argument/],
  ]
  for (const [what, args, pattern] of cases) {
    it(`rejects ${what} with one clear line and exit code 2`, async () => {
      const { code, io } = await run(...args)
      assert.equal(code, EXIT.usage, io.text())
      assert.match(io.text(), pattern)
      assert.doesNotMatch(io.text(), /\n\s+at /, 'no stack trace')
    })
  }

  it('--help exits 0 and documents defaults and exit codes', async () => {
    const { code, io } = await run('agent', '--help')
    assert.equal(code, 0)
    const help = io.text().replace(/\s+/g, ' ')
    assert.match(help, /--profile <profile> .*\(choices: "lan", "wan", "local", default: "lan", env: MURMUR_PROFILE\)/)
    assert.match(help, /--api <host:port> .*default: "127.0.0.1:7373", env: MURMUR_API/)
    assert.match(help, /--retry-interval <duration> .*default: 1s/)
    const top = await run('--help')
    assert.match(top.io.text(), /Exit codes: 0 ok, 1 failure, 2 bad usage, 3 join failed, 4 no agent/)
  })

  it('says there is no agent, exit code 4, when nothing listens at --api', async () => {
    const { code, io } = await run('members', '--api', '127.0.0.1:1')
    assert.equal(code, EXIT.agentUnreachable)
    assert.match(io.text(), /no murmur agent answers at 127.0.0.1:1/)
    assert.doesNotMatch(io.text(), /\n\s+at /)
  })
})
