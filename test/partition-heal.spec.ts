import { TEST_CONFIG, TestCluster } from './fixtures/cluster.ts'

describe('integration: partition and heal', function () {
  this.timeout(180_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  // Uses the agents' test-only transport fault option (POST /v1/faults {blocked}): each side
  // drops every packet and refuses every stream to and from the other side, as a cut link would.
  it('each side marks the other dead; after heal one view everywhere within push-pull bounds', async () => {
    cluster = await TestCluster.start(6, { faults: true, config: { gossipToTheDeadMs: 2000 } })
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const left = c.agents.slice(0, 3)
    const right = c.agents.slice(3)
    await Promise.all(left.map((a) => c.faults(a, { blocked: right.map((b) => b.id) })))
    await Promise.all(right.map((a) => c.faults(a, { blocked: left.map((b) => b.id) })))
    await c.waitFor(
      () => left.every((a) => right.every((b) => c.seen(a, b)?.state === 'dead' && c.seen(b, a)?.state === 'dead')),
      60_000,
      'each side to declare the other dead',
    )
    // outlast gossip-to-the-dead, so that only reconnect push-pulls can bring the sides together
    await new Promise((r) => setTimeout(r, 3000))
    await Promise.all(c.agents.map((a) => c.faults(a, { blocked: [] })))
    // dead members are not probed: the heal comes from reconnect push-pulls with dead members
    // (one per pushPullIntervalMs per agent); allow a few intervals
    const took = await c.waitFor(
      () => c.converged(),
      4 * TEST_CONFIG.pushPullIntervalMs! + 15_000,
      'one view after heal',
    )
    console.log(`      healed in ${took} ms (push-pull interval ${TEST_CONFIG.pushPullIntervalMs} ms)`)
  })
})
