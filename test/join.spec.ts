import assert from 'node:assert/strict'
import { TestCluster } from './fixtures/cluster.ts'

describe('integration: join (real agents on 127.0.0.1)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  for (const n of [1, 2, 3, 5, 10]) {
    it(`${n} agent(s) converge to one full view`, async () => {
      cluster = await TestCluster.start(n)
      const c = cluster
      await c.waitFor(() => c.converged(), 30_000, `${n} agents to converge`)
      const { members } = await c.api(c.agents[0]).get<{ members: Array<{ state: string }> }>('/v1/members')
      assert.equal(members.length, n)
      assert.ok(members.every((m) => m.state === 'alive'))
      // the same view everywhere, down to the incarnations: one fingerprint (bounded poll)
      const fingerprints = () =>
        Promise.all(c.agents.map((a) => c.api(a).get<{ fingerprint: string }>('/v1/info'))).then(
          (infos) => new Set(infos.map((i) => i.fingerprint)),
        )
      const deadline = Date.now() + 15_000
      let seen = await fingerprints()
      while (seen.size !== 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200))
        seen = await fingerprints()
      }
      assert.equal(seen.size, 1, `one fingerprint on every agent, saw ${[...seen].join(', ')}`)
      assert.match([...seen][0], /^[0-9a-f]{16}$/)
    })
  }

  it('an agent joining through any member, not only the first, converges', async () => {
    // agent i joins through agent i-1: a chain
    cluster = await TestCluster.start(1, { joinVia: (i) => i - 1 })
    const c = cluster
    for (let i = 1; i < 5; i++) await c.spawn(i)
    await c.waitFor(() => c.converged(), 30_000, 'a chain of joins to converge')
  })
})
