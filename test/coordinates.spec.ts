import assert from 'node:assert/strict'
import { murmur } from './fixtures/cli.ts'
import { TestCluster } from './fixtures/cluster.ts'

interface M {
  id: string
  name: string
  coordinate: unknown
  rttEstimateMs: number | null
}

describe('integration: network coordinates between real agents', function () {
  this.timeout(90_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('agents learn each other’s coordinates; murmur rtt and members --sort rtt use them', async () => {
    cluster = await TestCluster.start(3)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const [a, b] = c.agents
    const api = ['--api', a.api]
    const members = async () => (await c.api(a).get<{ members: M[] }>('/v1/members')).members
    // a learns a member's coordinate with its first direct probe of it: within a probe pass
    const deadline = Date.now() + 30_000
    while ((await members()).some((m) => m.coordinate === null) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200))
    }
    assert.ok(
      (await members()).every((m) => m.coordinate !== null),
      'a coordinate for every member',
    )

    const rtt = await murmur(['rtt', b.name, '--json', ...api])
    assert.equal(rtt.code, 0, rtt.stderr)
    const r = JSON.parse(rtt.stdout) as { a: string; b: string; rttMs: number }
    assert.equal(r.a, b.id)
    assert.equal(r.b, a.id)
    assert.ok(r.rttMs > 0 && r.rttMs < 200, `loopback RTT estimated at ${r.rttMs} ms`)
    const human = await murmur(['rtt', b.id.slice(0, 20), c.agents[2].name, ...api])
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /estimated rtt from .* to .*: [\d.]+ ms/)

    const sorted = await murmur(['members', '--sort', 'rtt', '--json', ...api])
    assert.equal(sorted.code, 0, sorted.stderr)
    const list = JSON.parse(sorted.stdout) as M[]
    const rtts = list.map((m) => m.rttEstimateMs ?? Number.POSITIVE_INFINITY)
    assert.deepEqual(
      rtts,
      [...rtts].sort((x, y) => x - y),
    )

    const unknown = await murmur(['rtt', 'nobody-by-that-name', ...api])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /no member nobody-by-that-name/)
  })
})
