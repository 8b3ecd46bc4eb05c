import assert from 'node:assert/strict'
import type { Member, SwimConfig } from '@murmur/core'
import {
  type CreateMurmurWorkerNodeOptions,
  createMurmurNode,
  type MurmurNode,
  type MurmurWorkerNode,
} from '../src/index.ts'
import { FAST, until } from './helpers.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

function block(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // this thread is stuck; the workers are not
  }
}

describe('worker mode', function () {
  this.timeout(60_000)
  const started: MurmurNode[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => Promise.resolve(n.stop()).catch(() => {})))
  })

  async function workerNode(options: Partial<CreateMurmurWorkerNodeOptions> = {}, config: Partial<SwimConfig> = {}) {
    const node = await createMurmurNode({
      ...options,
      worker: true,
      membership: { profile: 'local', ...options.membership, config: { ...FAST, ...config } },
    })
    started.push(node)
    return node
  }

  const alive = (viewer: MurmurNode, other: MurmurNode) =>
    viewer.services.membership.member(other.peerId.toString())?.state === 'alive'

  it('has the same API: members, self, events, join, setMetadata, broadcast, stats, leave', async () => {
    const a = await workerNode({ membership: { metadata: enc.encode('a') } })
    const joined: Member[] = []
    a.services.membership.addEventListener('member:join', (e) => joined.push(e.detail))
    const b = await workerNode({ join: a.getMultiaddrs().map(String) })
    const signal = AbortSignal.timeout(10_000)
    await until(() => alive(a, b) && alive(b, a), 'a and b to see each other', signal)
    assert.equal(a.services.membership.self().id, a.peerId.toString())
    assert.equal(dec.decode(b.services.membership.member(a.peerId.toString())!.metadata), 'a')
    assert.ok(
      joined.some((m) => m.id === b.peerId.toString()),
      'member:join crossed the port',
    )
    assert.ok(Object.isFrozen(joined[0]))
    // metadata: set on b's thread, applied in b's worker, gossiped to a's
    b.services.membership.setMetadata(enc.encode('b2'))
    await until(
      () => dec.decode(a.services.membership.member(b.peerId.toString())?.metadata ?? new Uint8Array()) === 'b2',
      'b2 at a',
      signal,
    )
    // user events
    const got: string[] = []
    a.services.membership.addEventListener('user-event', (e) => got.push(e.detail.name))
    await b.services.membership.broadcast('hello', enc.encode('x'))
    await until(() => got.includes('hello'), 'the event at a', signal)
    // probe events cross only while someone listens
    let probes = 0
    const onProbe = () => probes++
    a.services.membership.addEventListener('probe', onProbe)
    await until(() => probes > 0, 'a probe event', signal)
    a.services.membership.removeEventListener('probe', onProbe)
    // stats and health from the mirror
    await until(() => a.services.membership.stats().probes > 0, 'stats', signal)
    assert.equal(typeof a.services.membership.healthScore(), 'number')
    assert.match(a.services.membership.fingerprint(), /^[0-9a-f]{16}$/)
    // a graceful leave reaches the other side
    const left = new Promise<void>((r) =>
      a.services.membership.addEventListener('member:leave', (e) => e.detail.id === b.peerId.toString() && r()),
    )
    await b.services.membership.leave()
    await left
  })

  it('queries: asked from a worker-mode node and answered by one, handlers on the app thread, tags from tagsOf', async () => {
    const tagsOf = (m: Uint8Array) => ({ role: dec.decode(m) })
    const a = await workerNode({ membership: { metadata: enc.encode('web'), tagsOf } })
    const b = await createMurmurNode({
      join: a.getMultiaddrs().map(String),
      membership: { profile: 'local', metadata: enc.encode('db'), tagsOf, config: FAST },
    })
    started.push(b)
    const signal = AbortSignal.timeout(15_000)
    await until(() => alive(a, b) && alive(b, a), 'a and b to see each other', signal)
    for (const n of [a, b]) {
      const id = n.peerId.toString()
      n.services.membership.handleQuery('who', (q) => enc.encode(`${id.slice(-4)} ${dec.decode(q.payload)}`))
    }
    const ask = async (node: MurmurNode, tags?: string[]) => {
      const out: string[] = []
      const q = node.services.membership.query('who', enc.encode('?'), {
        timeoutMs: 1500,
        requestAck: true,
        ...(tags === undefined ? {} : { filter: { tags } }),
      })
      for await (const x of q) out.push(x.ack ? `ack ${x.from.slice(-4)}` : dec.decode(x.payload))
      return out.sort()
    }
    const [ida, idb] = [a.peerId.toString().slice(-4), b.peerId.toString().slice(-4)]
    assert.deepEqual(await ask(a), [`${ida} ?`, `${idb} ?`, `ack ${ida}`, `ack ${idb}`].sort())
    assert.deepEqual(await ask(b, ['role=web']), [`${ida} ?`, `ack ${ida}`].sort())
    assert.throws(() => a.services.membership.query('who', new Uint8Array(10_000)), { name: 'InvalidArgumentError' })
  })

  it('errors cross the port as the same classes', async () => {
    const a = await workerNode()
    await assert.rejects(a.services.membership.join(['/ip4/127.0.0.1/tcp/1']), {
      name: 'JoinFailedError',
      code: 'ERR_JOIN_FAILED',
    })
    assert.throws(() => a.services.membership.setMetadata(new Uint8Array(100_000)), { name: 'InvalidArgumentError' })
    await assert.rejects(workerNode({}, { probeTimeoutMs: 5000 }), { name: 'InvalidConfigError' })
    await assert.rejects(
      createMurmurNode({ worker: true, progress: { timeoutMs: 1000 } }),
      { name: 'InvalidArgumentError' },
      'degrade needs degradedMetadata',
    )
    await assert.rejects(createMurmurNode({ membership: { ackPayload: () => new Uint8Array() }, worker: true }), {
      name: 'InvalidArgumentError',
    })
    await a.stop()
    await assert.rejects(a.services.membership.broadcast('x'), { name: 'NotStartedError' })
  })

  it('a blocked app thread does not stop heartbeats: nobody is suspected', async () => {
    const a = await workerNode()
    const b = await workerNode({ join: a.getMultiaddrs().map(String) })
    await until(() => alive(a, b) && alive(b, a), 'convergence', AbortSignal.timeout(10_000))
    const suspects: string[] = []
    for (const n of [a, b]) n.services.membership.addEventListener('member:suspect', (e) => suspects.push(e.detail.id))
    // FAST suspicion is under a second: blocking 3 s in-thread would kill both
    block(3000)
    await new Promise((r) => setTimeout(r, 1500))
    assert.deepEqual(suspects, [])
    assert.ok(alive(a, b) && alive(b, a))
    assert.ok(a.services.membership.stats().acks > 0)
  })

  it('the progress bound marks a stuck app degraded in its metadata, and clears the mark when it ticks again', async () => {
    const a = await workerNode()
    const b = await workerNode({
      join: a.getMultiaddrs().map(String),
      membership: { metadata: enc.encode('b') },
      progress: { timeoutMs: 500, degradedMetadata: (m) => enc.encode(`${dec.decode(m)}+degraded`) },
    })
    await until(() => alive(a, b) && alive(b, a), 'convergence', AbortSignal.timeout(10_000))
    const seenAtA: string[] = []
    a.services.membership.addEventListener('member:update', (e) => {
      if (e.detail.id === b.peerId.toString()) seenAtA.push(dec.decode(e.detail.metadata))
    })
    block(1500)
    await until(() => seenAtA.includes('b'), 'the mark to clear', AbortSignal.timeout(5000))
    assert.deepEqual(seenAtA, ['b+degraded', 'b'])
    assert.equal((b as MurmurWorkerNode).services.membership.self().state, 'alive')
  })

  it("the 'leave' action makes a stuck app leave the cluster", async () => {
    const a = await workerNode()
    const b = await workerNode({
      join: a.getMultiaddrs().map(String),
      progress: { timeoutMs: 500, action: 'leave' },
    })
    await until(() => alive(a, b) && alive(b, a), 'convergence', AbortSignal.timeout(10_000))
    block(1500)
    await until(
      () => a.services.membership.member(b.peerId.toString())?.state === 'left',
      'b to have left',
      AbortSignal.timeout(5000),
    )
  })
})
