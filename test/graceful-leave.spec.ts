import assert from 'node:assert/strict'
import { TestCluster } from './fixtures/cluster.ts'

describe('integration: graceful leave and restart', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('SIGTERM: left everywhere, never dead; restarted with the same key it rejoins', async () => {
    cluster = await TestCluster.start(4)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const leaver = c.agents[3]
    const others = c.agents.slice(0, 3)
    const since = Date.now()
    c.signal(leaver, 'SIGTERM')
    assert.equal(await leaver.exited, 0, 'the agent exits 0 after leaving')
    await c.waitFor(() => others.every((o) => c.seen(o, leaver)?.state === 'left'), 15_000, 'left everywhere')
    await new Promise((r) => setTimeout(r, 3000))
    assert.equal(c.eventsAbout(leaver, 'member:dead', since).length, 0, 'never dead')
    const incBefore = c.seen(others[0], leaver)!.incarnation
    const back = await c.spawn(3)
    assert.equal(back.id, leaver.id, 'same key, same peer id')
    await c.waitFor(() => c.converged(), 30_000, 'the restarted agent to rejoin')
    assert.ok(c.seen(others[0], back)!.incarnation > incBefore)
  })

  it('`murmur leave` through the API makes the agent leave and exit', async () => {
    cluster = await TestCluster.start(3)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    await c.api(c.agents[2]).post('/v1/leave')
    assert.equal(await c.agents[2].exited, 0)
    await c.waitFor(() => c.agents.slice(0, 2).every((o) => c.seen(o, c.agents[2])?.state === 'left'), 15_000, 'left')
  })
})
