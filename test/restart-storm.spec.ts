import assert from 'node:assert/strict'
import { TestCluster } from './fixtures/cluster.ts'

describe('integration: restart storm', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('5 of 6 agents restarted at once with their keys: all rejoin, no stale member resurrected', async () => {
    cluster = await TestCluster.start(6)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    // one agent that leaves for good: it must stay left after the storm
    const gone = c.agents[5]
    c.signal(gone, 'SIGTERM')
    await gone.exited
    const rest = c.agents.slice(0, 5)
    await c.waitFor(() => rest.every((o) => c.seen(o, gone)?.state === 'left'), 15_000, 'the leaver to be left')
    const stormed = c.agents.slice(1, 5)
    for (const a of stormed) c.signal(a, 'SIGKILL')
    await Promise.all(stormed.map((a) => a.exited))
    await Promise.all(stormed.map((_, k) => c.spawn(k + 1)))
    const alive = c.agents.slice(0, 5)
    await c.waitFor(() => c.converged(alive), 45_000, 'the restarted agents to converge')
    await new Promise((r) => setTimeout(r, 3000))
    for (const o of alive) {
      const s = c.seen(o, gone)?.state
      assert.ok(s === undefined || s === 'left', `${o.name} sees the departed agent as ${s}, not alive`)
    }
  })
})
