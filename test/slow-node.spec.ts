import assert from 'node:assert/strict'
import { TestCluster } from './fixtures/cluster.ts'

describe('integration: slow node (Lifeguard local health)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('an agent whose event loop stalls in bursts does not get healthy members declared dead; its health score rises and recovers', async () => {
    cluster = await TestCluster.start(5, { faults: true })
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const slow = c.agents[4]
    const since = Date.now()
    // 600 ms stalls every 800 ms: its acks and its own probe timers run late
    await c.faults(slow, { blockLoopMs: 600, blockEveryMs: 800 })
    let peak = 0
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline) {
      const info = await c.api(slow).get<{ healthScore: number }>('/v1/info')
      peak = Math.max(peak, info.healthScore)
      await new Promise((r) => setTimeout(r, 500))
    }
    await c.faults(slow, { blockLoopMs: 0, blockEveryMs: 0 })
    const healthy = c.agents.slice(0, 4)
    const falseDeaths = c.events.filter(
      (x) =>
        x.e.event === 'member:dead' &&
        Date.parse(x.e.time) >= since &&
        healthy.some((h) => 'id' in x.e && x.e.id === h.id),
    )
    assert.equal(falseDeaths.length, 0, 'no healthy member declared dead')
    assert.ok(peak > 0, 'the slow agent noticed it was slow (health score rose)')
    let score = peak
    const recoverBy = Date.now() + 30_000
    while (score > 0 && Date.now() < recoverBy) {
      score = (await c.api(slow).get<{ healthScore: number }>('/v1/info')).healthScore
      await new Promise((r) => setTimeout(r, 250))
    }
    assert.equal(score, 0, 'health recovers once the stalls stop')
    console.log(`      peak health score ${peak}, recovered to 0`)
  })
})
