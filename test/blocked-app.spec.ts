import assert from 'node:assert/strict'
import { DEFAULTS, type SwimConfig } from '@murmur/core'
import { type ClusterOptions, TestCluster } from './fixtures/cluster.ts'

/** The lan profile's timings (the cluster fixture shortens them otherwise). */
const LAN: Partial<SwimConfig> = {
  probeIntervalMs: DEFAULTS.probeIntervalMs,
  probeTimeoutMs: DEFAULTS.probeTimeoutMs,
  gossipIntervalMs: DEFAULTS.gossipIntervalMs,
  pushPullIntervalMs: DEFAULTS.pushPullIntervalMs,
  requestTimeoutMs: DEFAULTS.requestTimeoutMs,
  leaveTimeoutMs: DEFAULTS.leaveTimeoutMs,
}
const BLOCK_MS = 15_000
const N = 4

/**
 * An app that blocks its main thread for 15 s (the agent's one-shot `blockLoopMs` fault: a busy
 * loop on the thread that also serves the control API and prints the events). Measured in the
 * lan profile, 4 agents; the last one is the app.
 */
describe('integration: an app that blocks its main thread (worker mode, progress bound)', function () {
  this.timeout(180_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  async function start(args: string[] = []): Promise<TestCluster> {
    const options: ClusterOptions = {
      config: LAN,
      faults: true,
      args: (i) => ['--profile', 'lan', ...(i === N - 1 ? args : [])],
    }
    cluster = await TestCluster.start(N, options)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    return c
  }

  /** Blocks the app's main thread once; resolves when the block began (the API answered just before). */
  async function block(c: TestCluster): Promise<number> {
    await c.faults(c.agents[N - 1], { blockLoopMs: BLOCK_MS })
    return Date.now()
  }

  function healthyDeathsAndSuspicions(c: TestCluster, since: number) {
    const healthy = c.agents.slice(0, N - 1)
    const about = (kind: string) => healthy.flatMap((h) => c.eventsAbout(h, kind, since))
    return { suspicions: about('member:suspect').length, deaths: about('member:dead').length }
  }

  it('without worker mode: the app is suspected while blocked and refutes on waking; nobody else is suspected or declared dead', async () => {
    const c = await start()
    const app = c.agents[N - 1]
    const since = await block(c)
    const others = c.agents.slice(0, N - 1)
    // it wakes at since + BLOCK_MS; then every member must see it alive again
    await new Promise((r) => setTimeout(r, BLOCK_MS))
    await c.waitFor(() => others.every((o) => c.seen(o, app)?.state === 'alive'), 30_000, 'the app alive again')
    await new Promise((r) => setTimeout(r, 5000)) // what its late timers do on waking
    const suspects = c.eventsAbout(app, 'member:suspect', since)
    const deaths = c.eventsAbout(app, 'member:dead', since)
    const firstSuspect = suspects.length > 0 ? Math.min(...suspects.map((x) => Date.parse(x.e.time))) - since : null
    const firstDead = deaths.length > 0 ? Math.min(...deaths.map((x) => Date.parse(x.e.time))) - since : null
    const healthy = healthyDeathsAndSuspicions(c, since)
    console.log(
      `      no worker, ${BLOCK_MS} ms block: app suspected by ${new Set(suspects.map((x) => x.observer)).size} ` +
        `(first after ${firstSuspect} ms), declared dead by ${new Set(deaths.map((x) => x.observer)).size} ` +
        `(first after ${firstDead} ms); healthy members: ${healthy.suspicions} suspicion event(s), ${healthy.deaths} death(s)`,
    )
    assert.ok(suspects.length > 0, 'the blocked app is suspected')
    assert.equal(healthy.deaths, 0, 'no healthy member declared dead')
    assert.ok(c.converged(), 'every member sees every other alive after the app woke')
  })

  it('in worker mode: the app blocked for 15 s is never suspected', async () => {
    const c = await start(['--worker'])
    const app = c.agents[N - 1]
    const since = await block(c)
    await new Promise((r) => setTimeout(r, BLOCK_MS + 3000))
    const suspects = c.eventsAbout(app, 'member:suspect', since)
    const healthy = healthyDeathsAndSuspicions(c, since)
    console.log(
      `      worker, ${BLOCK_MS} ms block: app suspected ${suspects.length} time(s); healthy members: ${healthy.suspicions} suspicion(s), ${healthy.deaths} death(s)`,
    )
    assert.equal(suspects.length, 0, 'the app is never suspected')
    assert.equal(healthy.suspicions, 0, 'nobody else is suspected')
    assert.ok(c.converged(), 'every member sees every other alive')
  })

  it('in worker mode with a 5 s progress bound: the blocked app is reported degraded within bound + one gossip round, and clears', async () => {
    const bound = 5000
    const c = await start(['--worker', '--progress-timeout', `${bound}ms`])
    const app = c.agents[N - 1]
    const others = c.agents.slice(0, N - 1)
    const degraded = (o: (typeof others)[number]) => c.seen(o, app)?.tags.degraded !== undefined
    assert.ok(!others.some(degraded), 'not degraded before the block')
    const since = await block(c)
    await c.waitFor(() => others.every(degraded), BLOCK_MS, 'every member to see the app degraded')
    const seenAfter = Date.now() - since
    const limit = bound + 1000 + DEFAULTS.gossipIntervalMs // bound + the worker's check + a gossip round, plus 1 s of slack
    await c.waitFor(() => others.every((o) => !degraded(o)), BLOCK_MS + 10_000, 'the degraded mark to clear')
    const clearedAfter = Date.now() - since
    const suspects = c.eventsAbout(app, 'member:suspect', since)
    console.log(
      `      worker, ${bound} ms progress bound: degraded seen by all ${seenAfter} ms into the block (limit ${limit}), cleared ${clearedAfter} ms in; app suspected ${suspects.length} time(s)`,
    )
    assert.ok(seenAfter <= limit, `degraded seen by all after ${seenAfter} ms, over ${limit}`)
    assert.ok(clearedAfter >= BLOCK_MS, 'not cleared while still blocked')
    assert.equal(suspects.length, 0, 'the app is never suspected')
  })
})
