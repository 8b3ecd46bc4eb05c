import assert from 'node:assert/strict'
import type { MemberJson } from '@murmur/cli'
import { suspicionTimeout } from '@murmur/core'
import { TEST_CONFIG, TestCluster } from './fixtures/cluster.ts'

const N = 5
const PROBE = TEST_CONFIG.probeIntervalMs!
/** local profile: suspicionMult 3, suspicionMaxTimeoutMult 6. */
const MIN = suspicionTimeout(3, N, PROBE)
const MAX = 6 * MIN

describe('integration: failure detection (kill -9, SIGSTOP)', function () {
  this.timeout(180_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('kill -9: every survivor marks the agent dead within the suspicion bound, naming the failed probes', async () => {
    cluster = await TestCluster.start(N)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const victim = c.agents[N - 1]
    // bound: the longest suspicion plus a few probe periods to notice (scaled by local health)
    const bound = MAX + 8 * PROBE
    const { killedAt, survivors, took } = await c.killAndAwaitDead(victim, bound)
    const deaths = c.eventsAbout(victim, 'member:dead', killedAt)
    assert.equal(deaths.length, survivors.length, 'each survivor declares it dead exactly once')
    const reasons = deaths.map((d) => (d.e as MemberJson).reason!)
    assert.ok(reasons.every((r) => r.accuser.length > 0))
    assert.ok(
      reasons.some((r) => r.failedProbes.some((p) => p.via === 'direct' && p.outcome === 'timeout')),
      'the accuser names its failed direct probe',
    )
    console.log(`      detection: all survivors in ${took} ms (bound ${bound} ms)`)
  })

  it('SIGSTOP shorter than the suspicion timeout: never declared dead', async () => {
    cluster = await TestCluster.start(N)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const victim = c.agents[2]
    const since = Date.now()
    c.signal(victim, 'SIGSTOP')
    await new Promise((r) => setTimeout(r, MIN / 2))
    c.signal(victim, 'SIGCONT')
    await c.waitFor(() => c.converged(), 30_000, 'everyone to see it alive again')
    // let any pending suspicion run its full course
    await new Promise((r) => setTimeout(r, MAX))
    assert.equal(c.eventsAbout(victim, 'member:dead', since).length, 0)
    assert.ok(c.converged())
  })

  it('SIGSTOP past the maximum suspicion timeout: dead, then it refutes and is alive everywhere', async () => {
    cluster = await TestCluster.start(N)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const victim = c.agents[1]
    const others = c.agents.filter((a) => a !== victim)
    const before = c.seen(others[0], victim)!.incarnation
    c.signal(victim, 'SIGSTOP')
    await c.waitFor(() => others.every((o) => c.seen(o, victim)?.state === 'dead'), MAX + 10 * PROBE, 'death')
    c.signal(victim, 'SIGCONT')
    await c.waitFor(() => c.converged(), 30_000, 'the paused agent to refute its death')
    assert.ok(
      others.every((o) => c.seen(o, victim)!.incarnation > before),
      'refuted with a higher incarnation',
    )
  })
})
