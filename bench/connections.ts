/**
 * The connection-budget benchmark (issue 16): N real `murmur agent` processes on 127.0.0.1, each
 * with `--max-connections B`, so that the budget, not the cluster size, binds. Measured from the
 * outside (CPU from /proc) and from each agent's own counters (GET /v1/info, stats.transport).
 *
 *   node bench/dist/connections.js --nodes 100 --budget 20 --window 300 [--profile lan]
 *
 * 1. starts the agents --spawn-concurrency at a time (2 cores: 100 Node processes starting at
 *    once starve each other), all joining through the first; waits for every agent to see every
 *    other alive, then --settle seconds;
 * 2. the steady window (--window s): per agent, CPU %, connections held (sampled every 10 s),
 *    handshakes per second (each connection counts at both its ends), dials slower than the
 *    probe timeout, connections reaped; and falseSuspicions: suspect events about anyone while
 *    every agent is up;
 * 3. SIGKILL of one agent: firstDetectionMs / fullDetectionMs until the first / every survivor
 *    declares it dead, against detectionBoundMs = the longest suspicion timeout + 5 probe
 *    intervals (as bench/sim.ts).
 *
 * One JSON object on stdout, progress on stderr. Every process is killed by PID at the end, even
 * when a step fails or the benchmark is interrupted. Not part of `npm test`; its short version is
 * test/connection-budget.spec.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type AgentEvent, type AgentProcess, ApiClient, spawnAgent } from '@murmur/cli'
import { PROFILES, type Profile, resolveConfig, suspicionTimeout } from '@murmur/core'
import type { TransportStats } from '@murmur/libp2p'
import { cpuSeconds, rssMB } from './lib/proc.ts'
import { pool } from './lib/runner.ts'
import { mean, round } from './lib/stats.ts'

const USAGE =
  'usage: node bench/dist/connections.js [--nodes N (default 100)] [--budget B (default 20)] ' +
  '[--window S (default 300)] [--settle S (default 20)] [--profile lan|wan|local] [--spawn-concurrency C (default 4)]'

/** The connection counters an agent reports in GET /v1/info stats.transport. */
type Transport = Pick<
  TransportStats,
  'connections' | 'handshakes' | 'dialMs' | 'slowDials' | 'dialFailures' | 'connectionsReaped'
>

const running = new Set<AgentProcess>()
const killAll = () => {
  for (const a of running) {
    try {
      process.kill(a.pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    killAll()
    process.exit(130)
  })
}

async function transportOf(a: AgentProcess): Promise<Transport> {
  const info = await new ApiClient(a.api).get<{ stats: { transport: Transport } }>('/v1/info')
  return info.stats.transport
}

function int(raw: string | undefined, name: string, fallback: number, min: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`)
  return n
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      nodes: { type: 'string' },
      budget: { type: 'string' },
      window: { type: 'string' },
      settle: { type: 'string' },
      profile: { type: 'string' },
      'spawn-concurrency': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const nodes = int(values.nodes, 'nodes', 100, 3)
  const budget = int(values.budget, 'budget', 20, 1)
  const windowS = int(values.window, 'window', 300, 1)
  const settleS = int(values.settle, 'settle', 20, 0)
  const concurrency = int(values['spawn-concurrency'], 'spawn-concurrency', 4, 1)
  const profile = (values.profile ?? 'lan') as Profile
  if (!PROFILES.includes(profile)) throw new Error(`--profile must be one of ${PROFILES.join(', ')}`)
  const config = resolveConfig({ profile })
  const log = (l: string) => process.stderr.write(`connections: ${l}\n`)

  const dir = await mkdtemp(join(tmpdir(), 'murmur-conn-'))
  const agents: AgentProcess[] = []
  const views = new Map<string, Map<string, string>>()
  const seen: Array<{ observer: string; id: string; event: string; at: number }> = []
  const onEvent = (a: AgentProcess, e: AgentEvent) => {
    if (!e.event.startsWith('member:') || !('state' in e) || e.id === a.id) return
    const view = views.get(a.id) ?? new Map<string, string>()
    views.set(a.id, view)
    view.set(e.id, e.state)
    if (e.event === 'member:suspect' || e.event === 'member:dead') {
      seen.push({ observer: a.id, id: e.id, event: e.event, at: performance.now() })
    }
  }
  const start = async (i: number, seed?: string) => {
    const args = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--profile', profile]
    args.push('--key-file', join(dir, `agent-${i}.key`), '--max-connections', String(budget))
    // a loaded machine slows joins: retry rather than exit (the agent gives up after --retry-max)
    if (seed !== undefined) args.push('--join', seed, '--retry-max', '30')
    const a = await spawnAgent(`conn-${i}`, args, onEvent, 120_000)
    running.add(a)
    agents.push(a)
    void a.exited.then(() => {
      if (running.has(a)) log(`${a.name} (pid ${a.pid}) exited on its own`)
    })
  }
  const converged = () =>
    agents.length === nodes &&
    agents.every((a) => agents.every((b) => a === b || views.get(a.id)?.get(b.id) === 'alive'))
  const waitFor = async (pred: () => boolean, ms: number, what: string) => {
    const t0 = performance.now()
    while (!pred()) {
      if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
      await sleep(200)
    }
    return performance.now() - t0
  }
  try {
    log(`starting ${nodes} agents, budget ${budget}, ${profile} profile, ${concurrency} at a time`)
    const t0 = performance.now()
    await start(0)
    // each joins through an agent already up, at random: not all through one seed
    const started = await pool(
      Array.from({ length: nodes - 1 }, (_, k) => k + 1),
      (i) => start(i, agents[Math.floor(Math.random() * agents.length)].addrs[0]),
      { concurrency },
    )
    const failed = started.find((r) => r.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
    const startupMs = performance.now() - t0
    log(`all started in ${round(startupMs / 1000, 1)} s; waiting for convergence`)
    const convergeMs = await waitFor(converged, 600_000, 'convergence')
    log(`converged ${round(convergeMs / 1000, 1)} s after the last start; settling ${settleS} s`)
    await sleep(settleS * 1000)

    const windowStart = performance.now()
    const cpu0 = agents.map((a) => cpuSeconds(a.pid))
    const tr0 = await Promise.all(agents.map(transportOf))
    const held: number[] = []
    const loadAvg: number[] = []
    for (let t = 0; t < windowS; t += 10) {
      await sleep(Math.min(10, windowS - t) * 1000)
      for (const s of await Promise.all(agents.map(transportOf))) held.push(s.connections)
      loadAvg.push((await import('node:os')).loadavg()[0])
      log(`${t + 10}/${windowS} s: ${seen.filter((s) => s.at >= windowStart).length} suspicions so far`)
    }
    const elapsedS = (performance.now() - windowStart) / 1000
    const cpu = agents.map((a, i) => ((cpuSeconds(a.pid) - cpu0[i]) / elapsedS) * 100)
    const tr1 = await Promise.all(agents.map(transportOf))
    const rss = agents.map((a) => rssMB(a.pid))
    const sum = (f: (t: Transport) => number) => tr1.reduce((n, t, i) => n + f(t) - f(tr0[i]), 0)
    const handshakes = sum((t) => t.handshakes.outbound + t.handshakes.inbound)
    const dials = sum((t) => t.handshakes.outbound)
    const falseSuspicions = seen.filter((s) => s.at >= windowStart && s.event === 'member:suspect').length
    const falseDeaths = seen.filter((s) => s.at >= windowStart && s.event === 'member:dead').length

    const victim = agents[nodes - 1]
    const survivors = agents.slice(0, -1)
    log(`SIGKILL ${victim.name} (pid ${victim.pid})`)
    const killedAt = performance.now()
    process.kill(victim.pid, 'SIGKILL')
    running.delete(victim)
    const maxSuspicion =
      config.suspicionMaxTimeoutMult * suspicionTimeout(config.suspicionMult, nodes, config.probeIntervalMs)
    const boundMs = maxSuspicion + 5 * config.probeIntervalMs
    const deadAt = (a: AgentProcess) =>
      seen.find((s) => s.observer === a.id && s.id === victim.id && s.event === 'member:dead' && s.at >= killedAt)?.at
    let fullDetectionMs: number | null = null
    try {
      await waitFor(
        () => survivors.every((a) => deadAt(a) !== undefined),
        2 * boundMs,
        'every survivor to declare it dead',
      )
      fullDetectionMs = round(Math.max(...survivors.map((a) => deadAt(a)!)) - killedAt, 0)
    } catch (err) {
      log((err as Error).message)
    }
    const firsts = survivors.map(deadAt).filter((x): x is number => x !== undefined)
    const result = {
      nodes,
      budget,
      profile,
      windowSeconds: round(elapsedS, 1),
      spawnConcurrency: concurrency,
      startupSeconds: round(startupMs / 1000, 1),
      joinConvergenceSeconds: round(convergeMs / 1000, 1),
      falseSuspicions,
      falseDeaths,
      cpuPercentPerAgentMean: round(mean(cpu), 2),
      cpuPercentPerAgentMax: round(Math.max(...cpu), 2),
      cpuPercentAllAgents: round(
        cpu.reduce((a, b) => a + b, 0),
        1,
      ),
      rssMBPerAgentMean: round(mean(rss), 1),
      connectionsPerAgentMean: round(mean(held), 1),
      connectionsPerAgentMax: Math.max(...held),
      handshakesPerAgentPerSecond: round(handshakes / nodes / elapsedS, 3),
      dialMsMean: dials === 0 ? null : round(sum((t) => t.dialMs) / dials, 1),
      slowDials: sum((t) => t.slowDials),
      dialFailures: sum((t) => t.dialFailures),
      connectionsReapedPerAgentPerSecond: round(sum((t) => t.connectionsReaped) / nodes / elapsedS, 3),
      loadAverageMean: round(mean(loadAvg), 2),
      firstDetectionMs: firsts.length === 0 ? null : round(Math.min(...firsts) - killedAt, 0),
      fullDetectionMs,
      detectionBoundMs: boundMs,
      detectedBy: firsts.length,
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return 0
  } finally {
    killAll()
    running.clear()
    await rm(dir, { recursive: true, force: true })
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`connections: ${(err as Error).stack ?? err}\n${USAGE}\n`)
    process.exitCode = 1
  },
)
