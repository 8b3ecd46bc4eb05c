import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TestCluster } from './fixtures/cluster.ts'

interface M {
  id: string
  reportBytes: number | null
}

describe('integration: reports larger than a heartbeat, between real agents', function () {
  this.timeout(90_000)
  let cluster: TestCluster | undefined
  let dir: string | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('a 40 KiB report reaches every member over the report protocol, checked against its signed SHA-256', async () => {
    const body = randomBytes(40 * 1024)
    dir = await mkdtemp(join(tmpdir(), 'murmur-report-'))
    const file = join(dir, 'report.bin')
    await writeFile(file, body)
    cluster = await TestCluster.start(3, { args: (i) => (i === 0 ? ['--report-file', file] : []) })
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const owner = c.agents[0]
    const held = async (observer: number) => {
      const { members } = await c.api(c.agents[observer]).get<{ members: M[] }>('/v1/members')
      return members.find((m) => m.id === owner.id)?.reportBytes ?? null
    }
    const deadline = Date.now() + 20_000
    while ((await held(1)) !== body.byteLength || (await held(2)) !== body.byteLength) {
      assert.ok(Date.now() < deadline, `report not held everywhere: ${await held(1)}, ${await held(2)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    // gossip stayed small: the report itself never rode a packet (64 KiB packets could not carry it
    // with the rest anyway); it is on the owner's own view as well
    assert.equal(await held(0), body.byteLength)
  })
})
