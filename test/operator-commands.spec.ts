import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { murmur } from './fixtures/cli.ts'
import { TestCluster } from './fixtures/cluster.ts'

// test/dist/ -> packages/cli/package.json
const cliPackage = JSON.parse(readFileSync(new URL('../../packages/cli/package.json', import.meta.url), 'utf8')) as {
  version: string
}

interface Reachability {
  members: Array<{ id: string; name: string; rttMs: number | null; error?: string }>
  unreachable: number
}

describe('integration: operator commands (murmur --version, a /dns4 seed, reachability, force-leave)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('murmur --version prints the CLI package version', async () => {
    const r = await murmur(['--version'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), cliPackage.version)
  })

  it('joins through /dns4/localhost, finds who does not answer, and force-leaves a dead member cluster-wide', async () => {
    // agent 2 joins agent 0 by name: /dns4/localhost/tcp/<port>/p2p/<id>, resolved by the agent
    cluster = await TestCluster.start(2, { faults: true, args: (i) => ['--name', `agent-${i}`] })
    const c = cluster
    const [, port, id] = /^\/ip4\/127\.0\.0\.1\/tcp\/(\d+)\/p2p\/(\w+)$/.exec(c.agents[0].addrs[0]) ?? []
    assert.ok(port !== undefined && id !== undefined, `agent 0 listens on ${c.agents[0].addrs[0]}`)
    const byName = await c.spawn(2, ['--name', 'agent-2', '--join', `/dns4/localhost/tcp/${port}/p2p/${id}`])
    await c.waitFor(() => c.converged(), 30_000, 'convergence, agent 2 joined by a /dns4 name')
    const [a0, a1] = c.agents
    const api = ['--api', a0.api]

    const all = await murmur(['reachability', '--json', ...api])
    assert.equal(all.code, 0, all.stderr)
    const ok = JSON.parse(all.stdout) as Reachability
    assert.equal(ok.unreachable, 0)
    assert.deepEqual(ok.members.map((m) => m.name).sort(), ['agent-1', 'agent-2'])
    assert.ok(ok.members.every((m) => typeof m.rttMs === 'number' && m.rttMs >= 0 && m.rttMs < 1000))

    // agent 2 stops answering (SIGSTOP): still alive or suspect in the view, but silent
    c.signal(byName, 'SIGSTOP')
    const some = await murmur(['reachability', '--timeout', '400ms', ...api])
    assert.equal(some.code, 1, 'exit 1 when someone did not answer')
    assert.match(some.stdout, /agent-2 \(.*\)\s+no answer \(ERR_TIMEOUT\)/)
    assert.match(some.stdout, /agent-1 \(.*\)\s+[\d.]+ ms/)
    assert.match(some.stdout, /1 of 2 member\(s\) did not answer within 400 ms/)

    // force-leave refuses a live member (nobody makes another member leave)
    const refused = await murmur(['force-leave', 'agent-1', ...api])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /alive here: force-leave only forgets members this node holds dead or left/)

    // once both hold agent 2 dead, one force-leave (by name) makes both forget it now
    c.signal(byName, 'SIGKILL')
    await c.waitFor(
      () => c.seen(a0, byName)?.state === 'dead' && c.seen(a1, byName)?.state === 'dead',
      30_000,
      'agent 2 dead everywhere',
    )
    const forced = await murmur(['force-leave', 'agent-2', ...api])
    assert.equal(forced.code, 0, forced.stderr)
    assert.match(forced.stdout, /asked the cluster to forget it too/)
    await c.waitFor(
      () => c.seen(a0, byName)?.event === 'member:reap' && c.seen(a1, byName)?.event === 'member:reap',
      10_000,
      'member:reap of agent 2 on both survivors',
    )
    const members = JSON.parse((await murmur(['members', '--json', '--api', a1.api])).stdout) as Array<{ id: string }>
    assert.ok(!members.some((m) => m.id === byName.id), 'agent 2 is no longer listed')
    assert.equal((await murmur(['force-leave', byName.id, ...api])).code, 1, 'already forgotten: unknown')
  })
})
