import assert from 'node:assert/strict'
import { setTimeout as delay } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { SYNC_PROTOCOL } from '@murmur/libp2p'
import { createLibp2p } from 'libp2p'
import { TestCluster } from './fixtures/cluster.ts'
import { lengthPrefix, rssOf } from './fixtures/raw-peer.ts'

const MiB = 1024 * 1024
/** The agents' maxSyncBytes (the default): every attack frame announces the largest allowed. */
const FRAME = 8 * MiB
/** Attacker identities (fresh Ed25519 keys), connections per identity, sync streams per connection (the victim's limit). */
const KEYS = 4
const CONNECTIONS = 2
const STREAMS = 4
const ATTACK_MS = 15_000
/**
 * The victim's RSS may grow by at most this during the attack. What the limits keep live is the
 * push-pull budget, 4 x 8 MiB = 32 MiB, plus a yamux window (256 KiB) per stream. What they
 * cannot keep from being allocated: every refused stream still brings up to a window of data
 * before our reset reaches the sender, and every admitted one 8 MiB that becomes garbage when it
 * times out. V8 lets ArrayBuffer garbage grow by 64 MiB (its external-memory soft limit) before
 * it forces a collection, and glibc keeps freed pages: 32 + 64 MiB, and as much again for the
 * allocator and the heap's own growth. Measured with the limits: +119 to +149 MiB; without
 * them: +408 MiB (32 streams x 8 MiB buffered at once, then copied).
 */
const RSS_GROWTH_BOUND = 192 * MiB

interface Info {
  stats: { transport: { frameErrors: Record<string, number>; busyStreams?: number; syncBytesReserved?: number } }
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`

/** What the attacker saw: streams opened, and those the victim reset within a second (refused, not timed out). */
interface Tally {
  opened: number
  refusedFast: number
}

/**
 * One attack stream after another on `conn` until `end`: announce a full-size frame, send all of
 * it but the last 64 KiB as fast as the victim reads, then trickle a byte every 200 ms, never
 * completing it. A stream the victim resets is replaced (after 100 ms, so that a refusal does
 * not spin).
 */
async function hammer(raw: Libp2p, target: string, first: Connection, end: number, tally: Tally): Promise<void> {
  let conn = first
  const chunk = new Uint8Array(64 * 1024).fill(0xab)
  while (Date.now() < end) {
    if (conn.status !== 'open') {
      conn = await raw.dial(multiaddr(target), { force: true, signal: AbortSignal.timeout(5000) }).catch(() => conn)
      if (conn.status !== 'open') {
        await delay(200)
        continue
      }
    }
    let stream: Stream
    try {
      stream = await conn.newStream(SYNC_PROTOCOL, { signal: AbortSignal.timeout(5000), maxOutboundStreams: 64 })
    } catch {
      await delay(100)
      continue
    }
    tally.opened++
    const opened = Date.now()
    try {
      stream.send(lengthPrefix(FRAME))
      let sent = 0
      while (sent < FRAME - chunk.byteLength && stream.status === 'open' && Date.now() < end) {
        if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
        sent += chunk.byteLength
      }
      while (stream.status === 'open' && Date.now() < end) {
        stream.send(Uint8Array.of(0))
        await delay(200)
      }
    } catch {
      // reset by the victim
    }
    if (stream.status !== 'open' && Date.now() - opened < 1000) tally.refusedFast++
    stream.abort(new Error('attack over'))
    await delay(100)
  }
}

describe('integration: push-pull memory flood against a running agent', function () {
  this.timeout(180_000)
  let cluster: TestCluster | undefined
  const raws: Libp2p[] = []
  afterEach(async () => {
    await Promise.allSettled(raws.splice(0).map((r) => r.stop()))
    await cluster?.teardown()
    cluster = undefined
  })

  it('many connections of full-size trickled sync frames: RSS stays bounded, the API answers, nobody honest is suspected', async () => {
    cluster = await TestCluster.start(3)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const [victim] = c.agents
    const api = c.api(victim)
    const since = Date.now()
    const before = await rssOf(victim.pid)

    for (let i = 0; i < KEYS; i++) {
      raws.push(
        await createLibp2p({
          addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
          transports: [tcp()],
          connectionEncrypters: [noise()],
          streamMuxers: [yamux()],
        }),
      )
    }
    const end = Date.now() + ATTACK_MS
    const tally: Tally = { opened: 0, refusedFast: 0 }
    const attacks: Array<Promise<void>> = []
    for (const raw of raws) {
      for (let k = 0; k < CONNECTIONS; k++) {
        const conn = await raw.dial(multiaddr(victim.addrs[0]), { force: true, signal: AbortSignal.timeout(5000) })
        for (let s = 0; s < STREAMS; s++) attacks.push(hammer(raw, victim.addrs[0], conn, end, tally))
      }
    }

    // while it runs: the victim's RSS, and whether its API answers (within 3 s each time)
    let peak = before
    let apiCalls = 0
    const apiFailures: string[] = []
    const watch = (async () => {
      while (Date.now() < end) {
        peak = Math.max(peak, await rssOf(victim.pid))
        await delay(100)
      }
    })()
    const probeApi = (async () => {
      while (Date.now() < end) {
        apiCalls++
        const answer = api.get<{ id: string }>('/v1/self')
        const timeout = delay(3000).then(() => {
          throw new Error('no answer within 3 s')
        })
        await Promise.race([answer, timeout]).then(
          (self) => assert.equal(self.id, victim.id),
          (err: Error) => apiFailures.push(err.message),
        )
        await delay(500)
      }
    })()
    await Promise.all([...attacks, watch, probeApi])
    await Promise.allSettled(raws.splice(0).map((r) => r.stop()))

    await delay(3000) // the streams' timeouts run out, the collector catches up
    const after = await rssOf(victim.pid)
    const t = (await api.get<Info>('/v1/info')).stats.transport
    console.log(
      `      victim RSS before ${mib(before)}, peak ${mib(peak)} (+${mib(peak - before)}), after ${mib(after)}; ` +
        `attack streams opened ${tally.opened}, reset within 1 s ${tally.refusedFast}; ` +
        `victim counted frameErrors.memory ${t.frameErrors.memory}, busyStreams ${t.busyStreams}, ` +
        `too-large ${t.frameErrors['too-large']}, truncated ${t.frameErrors.truncated}; API ${apiCalls} calls, ${apiFailures.length} failed`,
    )

    assert.ok(peak - before <= RSS_GROWTH_BOUND, `RSS grew by ${mib(peak - before)} (bound ${mib(RSS_GROWTH_BOUND)})`)
    assert.deepEqual(apiFailures, [], 'the API answered every call')
    assert.ok((t.frameErrors.memory ?? 0) > 0, 'frames refused by the budget are counted')
    assert.ok((t.busyStreams ?? 0) > 0, 'streams refused by the per-peer limit are counted')
    assert.equal(t.syncBytesReserved, 0, 'every reservation was released')
    const suspected = c.agents.flatMap((a) => c.eventsAbout(a, 'member:suspect', since))
    assert.deepEqual(
      suspected.map((s) => `${s.observer} suspected ${'id' in s.e ? s.e.id : '?'}`),
      [],
      'no honest member was suspected',
    )
    await c.waitFor(() => c.converged(), 10_000, 'the cluster still converged')
  })
})
