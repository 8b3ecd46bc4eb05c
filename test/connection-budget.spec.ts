import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AgentProcess } from '@murmur/cli'
import { resolveConfig, suspicionTimeout } from '@murmur/core'
import { TestCluster } from './fixtures/cluster.ts'

const N = 20
const BUDGET = 5
const STEADY_MS = 20_000
const SETTLE_MS = 5000
/**
 * The lan profile's timings, as bench/connections.ts runs (the fixture's fast 'local' settings
 * probe twice as often with one indirect check: under a budget of 5 in 20, three probes in four
 * need a fresh connection, ~8 ms of CPU at each end, and 20 agents on 2 cores then miss probes).
 */
const LAN = resolveConfig({ profile: 'lan' })
const CONFIG = {
  probeIntervalMs: LAN.probeIntervalMs,
  probeTimeoutMs: LAN.probeTimeoutMs,
  gossipIntervalMs: LAN.gossipIntervalMs,
  pushPullIntervalMs: LAN.pushPullIntervalMs,
  requestTimeoutMs: LAN.requestTimeoutMs,
}
const PROBE = CONFIG.probeIntervalMs
const MAX = LAN.suspicionMaxTimeoutMult * suspicionTimeout(LAN.suspicionMult, N, PROBE)

interface Transport {
  connections: number
  handshakes: { outbound: number; inbound: number }
  slowDials: number
  connectionsReaped: number
}

async function transportOf(c: TestCluster, a: AgentProcess): Promise<Transport> {
  const info = await c.api(a).get<{ stats: { transport: Transport } }>('/v1/info')
  return info.stats.transport
}

/**
 * The short version of `bench/connections.ts` (which runs 100 agents on the lan profile for 5
 * minutes): the connection budget, not the cluster size, binds, and SWIM's guarantees hold.
 */
describe('integration: connection budget (--max-connections)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it(`${N} agents with a budget of ${BUDGET}: few connections each, no false suspicion, a kill -9 detected in bound`, async () => {
    cluster = await TestCluster.start(N, {
      config: CONFIG,
      args: () => ['--profile', 'lan', '--max-connections', String(BUDGET)],
    })
    const c = cluster
    await c.waitFor(() => c.converged(), 40_000, 'convergence')
    // as the bench does: the last agents' start-up (JIT, their join traffic) is not steady state
    await sleep(SETTLE_MS)
    const since = Date.now()
    const before = await Promise.all(c.agents.map((a) => transportOf(c, a)))
    const held: number[] = []
    for (let t = 0; t < STEADY_MS; t += 5000) {
      await sleep(5000)
      for (const s of await Promise.all(c.agents.map((a) => transportOf(c, a)))) held.push(s.connections)
    }
    const after = await Promise.all(c.agents.map((a) => transportOf(c, a)))
    const suspected = c.events.filter((x) => x.e.event === 'member:suspect' && Date.parse(x.e.time) >= since)
    assert.deepEqual(suspected, [], 'no member suspected while every agent is up')
    const mean = held.reduce((a, b) => a + b, 0) / held.length
    const handshakes = after.reduce(
      (n, s, i) =>
        n + s.handshakes.outbound + s.handshakes.inbound - before[i].handshakes.outbound - before[i].handshakes.inbound,
      0,
    )
    const reaped = after.reduce((n, s, i) => n + s.connectionsReaped - before[i].connectionsReaped, 0)
    // the budget is enforced after each new connection; the one or two in use right now are kept
    assert.ok(mean <= BUDGET + 2, `connections held per agent: mean ${mean.toFixed(1)}, budget ${BUDGET}`)
    const perAgentPerSecond = handshakes / N / (STEADY_MS / 1000)
    // the budget turns probe rings on (one ring for a budget of 5): probes go to the same member
    // each time; every member in turn would pay a handshake for most probes (1.76 per agent per
    // second measured before rings, with connections reaped all along)
    assert.ok(perAgentPerSecond < 0.5, `${perAgentPerSecond.toFixed(2)} handshakes per agent per second`)
    console.log(
      `      ${N} agents, budget ${BUDGET}: ${mean.toFixed(1)} connections held, ${perAgentPerSecond.toFixed(2)} handshakes/agent/s, ${reaped} reaped, slow dials ${after.reduce((n, s, i) => n + s.slowDials - before[i].slowDials, 0)}`,
    )

    const victim = c.agents[N - 1]
    const bound = MAX + 8 * PROBE
    const { survivors, took } = await c.killAndAwaitDead(victim, bound)
    console.log(`      kill -9 detected by all ${survivors.length} survivors in ${took} ms (bound ${bound} ms)`)
    const falseDeaths = c.events.filter(
      (x) => x.e.event === 'member:dead' && 'id' in x.e && x.e.id !== victim.id && Date.parse(x.e.time) >= since,
    )
    assert.deepEqual(falseDeaths, [])
  })
})
