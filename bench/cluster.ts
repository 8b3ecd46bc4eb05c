/**
 * Real-cluster benchmark: N `murmur agent` processes on 127.0.0.1, measured from the outside.
 *
 *   node bench/dist/cluster.js --nodes 5 --nodes 10 [--profile lan] [--window 20]
 *
 * prints a JSON array of ClusterResult on stdout (progress on stderr). `npm run bench` calls
 * runCluster() for its real-cluster charts. Every process spawned is killed by PID, even when a
 * measurement fails or the benchmark itself is interrupted.
 */
import { realpathSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type AgentEvent, type AgentProcess, ApiClient, spawnAgent, stopAgent } from '@murmur/cli'
import { alive, cpuSeconds, rssMB } from './lib/proc.ts'
import { pool } from './lib/runner.ts'
import { mean, round } from './lib/stats.ts'
import type { ClusterResult } from './lib/types.ts'

export interface ClusterOptions {
  /** Agent timing profile. @default 'lan' */
  profile?: string
  /** Steady-state window for CPU, RSS and traffic. @default 20 */
  windowSeconds?: number
  /** Pause between convergence and the window, so join traffic does not count as steady state. @default 3 */
  settleSeconds?: number
  /** Agents started at once (2 cores: starting 30 Node processes at once only slows each). @default 4 */
  spawnConcurrency?: number
  /** Deadline for join convergence and for detection. @default 120000 */
  timeoutMs?: number
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void
}

/** Every agent process started here and not yet confirmed gone: SIGKILLed by PID on exit. */
const running = new Set<AgentProcess>()
process.on('exit', () => {
  for (const a of running) killHard(a)
})

function killHard(a: AgentProcess): void {
  try {
    process.kill(a.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

interface Seen {
  observer: string
  id: string
  event: string
  at: number
}

/** What every agent reports, followed from its JSON event stream. */
class Watch {
  /** observer id -> member id -> state. */
  readonly views = new Map<string, Map<string, string>>()
  readonly seen: Seen[] = []
  private readonly checks = new Set<() => void>()

  onEvent = (agent: AgentProcess, e: AgentEvent): void => {
    if (!e.event.startsWith('member:') || !('state' in e)) return
    const view = this.views.get(agent.id) ?? new Map<string, string>()
    this.views.set(agent.id, view)
    if (e.id !== agent.id) {
      if (e.event === 'member:reap') view.delete(e.id)
      else view.set(e.id, e.state)
    }
    if (e.event === 'member:dead' || e.event === 'member:suspect') {
      this.seen.push({ observer: agent.id, id: e.id, event: e.event, at: performance.now() })
    }
    for (const check of [...this.checks]) check()
  }

  /** Resolves with the time `predicate` first holds (checked on every event); rejects at the deadline. */
  until(predicate: () => boolean, timeoutMs: number, what: () => string): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return
        this.checks.delete(check)
        clearTimeout(timer)
        resolve(performance.now())
      }
      const timer = setTimeout(() => {
        this.checks.delete(check)
        reject(new Error(`${what()} after ${timeoutMs} ms`))
      }, timeoutMs)
      this.checks.add(check)
      check()
    })
  }
}

interface Sample {
  at: number
  cpu: number
  bytesIn: number
  bytesOut: number
  packetsOut: number
}

async function sample(a: AgentProcess): Promise<Sample> {
  const info = await new ApiClient(a.api).get<{ stats: { bytesIn: number; bytesOut: number; packetsOut: number } }>(
    '/v1/info',
  )
  return {
    at: performance.now(),
    cpu: cpuSeconds(a.pid),
    bytesIn: info.stats.bytesIn,
    bytesOut: info.stats.bytesOut,
    packetsOut: info.stats.packetsOut,
  }
}

/** Starts `nodes` agents, measures join, steady state and detection of a SIGKILL, then kills them all. */
export async function runCluster(nodes: number, options: ClusterOptions = {}): Promise<ClusterResult> {
  if (!Number.isInteger(nodes) || nodes < 3) throw new RangeError(`a cluster needs at least 3 agents, got ${nodes}`)
  const profile = options.profile ?? 'lan'
  const windowSeconds = options.windowSeconds ?? 20
  const timeoutMs = options.timeoutMs ?? 120_000
  const log = options.log ?? (() => {})
  const dir = await mkdtemp(join(tmpdir(), 'murmur-bench-'))
  const agents: AgentProcess[] = []
  const watch = new Watch()
  const start = async (i: number, join?: string): Promise<AgentProcess> => {
    const args = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--profile', profile]
    args.push('--key-file', `${dir}/agent-${i}.key`, ...(join ? ['--join', join] : []))
    const a = await spawnAgent(`bench-${i}`, args, watch.onEvent, 60_000)
    running.add(a)
    agents.push(a)
    return a
  }
  try {
    log(`cluster n=${nodes}: starting agents`)
    const seed = await start(0)
    const t0 = performance.now()
    let lastReady = t0
    const joiners = Array.from({ length: nodes - 1 }, (_, k) => k + 1)
    const spawned = await pool(
      joiners,
      async (i) => {
        await start(i, seed.addrs[0])
        lastReady = performance.now()
      },
      { concurrency: options.spawnConcurrency ?? 4 },
    )
    const failed = spawned.find((r) => r.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
    const converged = await watch.until(
      () => agents.every((a) => agents.every((b) => a === b || watch.views.get(a.id)?.get(b.id) === 'alive')),
      timeoutMs,
      () => `cluster n=${nodes} did not converge (${convergenceReport(agents, watch)})`,
    )
    log(`cluster n=${nodes}: converged ${round(converged - lastReady, 0)} ms after the last agent was ready`)

    await sleep((options.settleSeconds ?? 3) * 1000)
    const before = await Promise.all(agents.map(sample))
    await sleep(windowSeconds * 1000)
    const after = await Promise.all(agents.map(sample))
    const rss = agents.map((a) => rssMB(a.pid))
    const rate = (f: (s: Sample) => number) =>
      agents.map((_, i) => (f(after[i]) - f(before[i])) / ((after[i].at - before[i].at) / 1000))
    const cpu = rate((s) => s.cpu * 100)

    const victim = agents[agents.length - 1]
    const survivors = agents.filter((a) => a !== victim)
    log(`cluster n=${nodes}: SIGKILL ${victim.name} (pid ${victim.pid}), waiting for every survivor to declare it dead`)
    const killedAt = performance.now()
    process.kill(victim.pid, 'SIGKILL')
    await victim.exited
    running.delete(victim)
    const deadBy = (a: AgentProcess) =>
      watch.seen.find((s) => s.observer === a.id && s.id === victim.id && s.event === 'member:dead' && s.at >= killedAt)
    let full: number | null = null
    try {
      full =
        (await watch.until(
          () => survivors.every(deadBy),
          timeoutMs,
          () => `not every survivor declared ${victim.name} dead`,
        )) - killedAt
    } catch (err) {
      log(`cluster n=${nodes}: ${(err as Error).message}`)
    }
    const firstAfterKill = (event: string) => {
      const times = watch.seen
        .filter((s) => s.id === victim.id && s.event === event && s.at >= killedAt)
        .map((s) => s.at)
      return times.length === 0 ? null : round(Math.min(...times) - killedAt, 0)
    }
    const result: ClusterResult = {
      nodes,
      profile,
      startupMs: round(lastReady - t0, 0),
      joinConvergenceMs: round(converged - lastReady, 0),
      windowSeconds,
      cpuPercentMean: round(mean(cpu), 2),
      cpuPercentMax: round(Math.max(...cpu), 2),
      rssMBMean: round(mean(rss), 1),
      rssMBMax: round(Math.max(...rss), 1),
      bytesOutPerNodePerSecond: round(mean(rate((s) => s.bytesOut)), 1),
      bytesInPerNodePerSecond: round(mean(rate((s) => s.bytesIn)), 1),
      messagesPerNodePerSecond: round(mean(rate((s) => s.packetsOut)), 2),
      firstSuspicionMs: firstAfterKill('member:suspect'),
      firstDetectionMs: firstAfterKill('member:dead'),
      fullDetectionMs: full === null ? null : round(full, 0),
    }
    log(`cluster n=${nodes}: ${JSON.stringify(result)}`)
    return result
  } finally {
    await Promise.all(agents.map((a) => stopAgent(a, 2000).catch(() => killHard(a))))
    for (const a of agents) {
      if (alive(a.pid)) killHard(a)
      running.delete(a)
    }
    await rm(dir, { recursive: true, force: true })
  }
}

function convergenceReport(agents: AgentProcess[], watch: Watch): string {
  return agents
    .map((a) => {
      const view = watch.views.get(a.id)
      const aliveCount = agents.filter((b) => b !== a && view?.get(b.id) === 'alive').length
      return `${a.name} sees ${aliveCount}/${agents.length - 1} alive`
    })
    .join(', ')
}

const USAGE = `usage: node bench/dist/cluster.js --nodes N [--nodes N ...] [--profile lan|wan|local] [--window SECONDS]`

async function main(argv: string[]): Promise<number> {
  let values: { nodes?: string[]; profile?: string; window?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string', multiple: true },
        profile: { type: 'string' },
        window: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const sizes = (values.nodes ?? ['5']).map(Number)
  const window = values.window === undefined ? 20 : Number(values.window)
  if (sizes.some((n) => !Number.isInteger(n) || n < 3) || !(window > 0)) {
    process.stderr.write(`cluster: --nodes takes integers >= 3 and --window a positive number of seconds\n${USAGE}\n`)
    return 2
  }
  const results: ClusterResult[] = []
  for (const n of sizes) {
    results.push(
      await runCluster(n, {
        profile: values.profile,
        windowSeconds: window,
        log: (l) => process.stderr.write(`${l}\n`),
      }),
    )
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  return 0
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      process.stderr.write(`cluster: ${(err as Error).stack ?? err}\n`)
      process.exitCode = 1
    },
  )
}
