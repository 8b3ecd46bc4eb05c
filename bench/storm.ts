/**
 * Start storm: N `murmur agent` processes started at once on 127.0.0.1, the way a deploy or a
 * test fixture does it, measured from the outside.
 *
 *   node bench/dist/storm.js [--nodes 50] [--seeds 1] [--runs 1] [--profile local] [--config file.json]
 *                            [--join-after-ready]
 *
 * The seeds start first, one by one; then every other agent is spawned in the same tick, each
 * joining through seed i % seeds. Prints a JSON array (one StormResult per run) on stdout,
 * progress on stderr:
 * - `readyMs`: spawn to {"event":"ready"} of the stormed agents (median, p90, max), and
 *   `lastReadyMs`, the storm's start to the last ready;
 * - `convergenceMs`: the last ready to the moment every agent sees every other one alive;
 * - `suspicions`: distinct accusations (and `suspectEvents`, every observer's member:suspect),
 *   `deaths`: member:dead events, from the storm's start to `quietSeconds` after convergence
 *   (none is right: nobody failed); `failedProbes`: what the accusers saw fail;
 * - `cpu`: CPU seconds all agents used up to the last ready and from there to convergence (or
 *   the deadline), and the cores they kept busy during the quiet window (1.0 = one core);
 * - the load average before and after (other processes on the machine slow every figure).
 * Every process started is killed by PID, even when a run fails.
 */
import { realpathSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type AgentEvent, type AgentProcess, ApiClient, spawnAgent, stopAgent } from '@murmur/cli'
import type { MembershipService } from '@murmur/libp2p'
import { alive, cpuSeconds } from './lib/proc.ts'
import { quantile, round } from './lib/stats.ts'

export interface StormOptions {
  /** Agents in all, seeds included. @default 50 */
  nodes?: number
  /** Agents started first, one by one; the others join through them round-robin. @default 1 */
  seeds?: number
  /** Agent timing profile. @default 'local' */
  profile?: string
  /** SwimConfig overrides for every agent (a --config file). @default {} */
  config?: Record<string, unknown>
  /**
   * Start the stormed agents without --join and ask them all to join (POST /v1/join) once the last
   * is ready: separates the cost of starting from the cost of joining. @default false
   */
  joinAfterReady?: boolean
  /** How long after convergence suspicions are still counted. @default 5 */
  quietSeconds?: number
  /** Deadline for readiness and for convergence. @default 60000 */
  timeoutMs?: number
  log?: (line: string) => void
}

export interface StormResult {
  nodes: number
  seeds: number
  profile: string
  joinAfterReady: boolean
  loadBefore: string
  loadAfter: string
  readyMs: { median: number; p90: number; max: number }
  lastReadyMs: number
  /** null: no convergence within the deadline. */
  convergenceMs: number | null
  /** member:suspect events, every observer's (one accusation is heard by many). */
  suspectEvents: number
  /** Distinct accusations (accused, accuser, time): what the storm made nodes believe. */
  suspicions: number
  /** Accusations by what their accuser saw fail, e.g. {"direct timeout, timeout": 12}. */
  failedProbes: Record<string, number>
  /**
   * Pairs (observer, member) not seen alive, at each whole second after the last ready until
   * convergence: whether a few stragglers or the bulk held it up.
   */
  notAliveBySecond: number[]
  /** When each distinct accusation was first heard, in seconds after the last ready (negative: before it). */
  suspicionTimes: number[]
  /** member:dead events, every observer's. */
  deaths: number
  cpu: { toReadySeconds: number; toConvergeSeconds: number; quietCores: number }
  /** How observers saw others at the end when there was no convergence, e.g. {"dead": 40, "unknown": 3}. */
  notAlive: Record<string, number>
  /** Suspicions per accused agent (name), the worst first: whom the storm hit. */
  suspectedMost: Array<[string, number]>
  /**
   * Sums over every agent of its counters at the end (GET /v1/info): what the storm cost and why
   * probes failed (a dial slower than the probe timeout, a round our own stall made inconclusive).
   */
  counters: StormCounters
}

export interface StormCounters {
  probes: number
  inconclusiveProbes: number
  /** Probes whose clock waited for their connection to open, and those whose connectGraceMs ran out first. */
  firstContactProbes: number
  connectGraceExpired: number
  stalls: number
  /** Push-pulls (joins included) refused for want of a slot, at the seed mostly. */
  syncBusy: number
  handshakes: number
  slowDials: number
  dialFailures: number
  /** Mean time to open an outbound connection, ms. */
  meanDialMs: number
}

/** What GET /v1/info reports under `stats`: the membership service's counters. */
interface InfoStats {
  stats: ReturnType<MembershipService['stats']>
}

/** StormCounters summed over the agents that answer (one that does not is left out). */
async function countersOf(agents: AgentProcess[]): Promise<StormCounters> {
  const infos = await Promise.all(
    agents.map((a) => new ApiClient(a.api).get<InfoStats>('/v1/info').catch(() => undefined)),
  )
  const sum = (f: (s: InfoStats['stats']) => number | undefined) =>
    infos.reduce((n, i) => n + (i === undefined ? 0 : (f(i.stats) ?? 0)), 0)
  const outbound = sum((s) => s.transport.handshakes.outbound)
  return {
    probes: sum((s) => s.probes),
    inconclusiveProbes: sum((s) => s.inconclusiveProbes),
    firstContactProbes: sum((s) => s.firstContactProbes),
    connectGraceExpired: sum((s) => s.connectGraceExpired),
    stalls: sum((s) => s.stalls),
    syncBusy: sum((s) => s.drops['sync-busy']),
    handshakes: outbound,
    slowDials: sum((s) => s.transport.slowDials),
    dialFailures: sum((s) => s.transport.dialFailures),
    meanDialMs: outbound === 0 ? 0 : round(sum((s) => s.transport.dialMs) / outbound, 1),
  }
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

function count(xs: Array<string | null>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) if (x !== null) out[x] = (out[x] ?? 0) + 1
  return out
}

/** The time each distinct accusation (key) was first heard, earliest first. */
function firstHeard(xs: Array<{ key: string; at: number }>): number[] {
  const first = new Map<string, number>()
  for (const x of xs) if (!first.has(x.key)) first.set(x.key, x.at)
  return [...first.values()].sort((a, b) => a - b)
}

async function loadavg(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
}

export async function runStorm(options: StormOptions = {}): Promise<StormResult> {
  const nodes = options.nodes ?? 50
  const seeds = options.seeds ?? 1
  const profile = options.profile ?? 'local'
  const timeoutMs = options.timeoutMs ?? 60_000
  const log = options.log ?? (() => {})
  if (!(seeds >= 1 && seeds < nodes)) throw new RangeError(`need 1 <= seeds < nodes, got ${seeds} of ${nodes}`)
  const dir = await mkdtemp(join(tmpdir(), 'murmur-storm-'))
  const configFile = join(dir, 'config.json')
  await writeFile(configFile, JSON.stringify(options.config ?? {}))
  const agents: AgentProcess[] = []
  /** observer id -> member id -> state */
  const views = new Map<string, Map<string, string>>()
  const accusations: Array<{ event: string; id: string; at: number; key: string; firstHand: string | null }> = []
  const onEvent = (a: AgentProcess, e: AgentEvent) => {
    if (!e.event.startsWith('member:') || !('state' in e) || e.id === a.id) return
    const view = views.get(a.id) ?? new Map<string, string>()
    views.set(a.id, view)
    if (e.event === 'member:reap') view.delete(e.id)
    else view.set(e.id, e.state)
    if (e.event === 'member:suspect' || e.event === 'member:dead') {
      // one accusation reaches every observer: the accused, its incarnation and the accuser name it
      const r = e.reason
      const key = `${e.id}:${e.incarnation}:${r?.accuser ?? ''}`
      // first hand: this observer made the accusation, after these probes failed
      const firstHand =
        r !== null && r.accuser === a.id
          ? r.failedProbes.map((p) => (p.via === 'direct' ? `direct ${p.outcome}` : p.outcome)).join(', ')
          : null
      accusations.push({ event: e.event, id: e.id, at: performance.now(), key, firstHand })
    }
  }
  const start = async (i: number, joinVia?: string) => {
    const args = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--profile', profile]
    args.push('--config', configFile, ...(joinVia ? ['--join', joinVia] : []))
    const t = performance.now()
    const a = await spawnAgent(`storm-${i}`, args, onEvent, timeoutMs)
    running.add(a)
    agents.push(a)
    return { a, ms: performance.now() - t }
  }
  const loadBefore = await loadavg()
  try {
    const seedAgents: AgentProcess[] = []
    for (let i = 0; i < seeds; i++) {
      const { a } = await start(i, seedAgents[0]?.addrs[0])
      seedAgents.push(a)
    }
    log(`storm n=${nodes}: ${seeds} seed(s) up, starting ${nodes - seeds} agents at once (load ${loadBefore})`)
    const t0 = performance.now()
    const stormed = await Promise.all(
      Array.from({ length: nodes - seeds }, (_, k) =>
        start(seeds + k, options.joinAfterReady ? undefined : seedAgents[k % seeds].addrs[0]),
      ),
    )
    const lastReady = performance.now()
    if (options.joinAfterReady) {
      await Promise.all(
        stormed.map(({ a }, k) => new ApiClient(a.api).post('/v1/join', { addrs: [seedAgents[k % seeds].addrs[0]] })),
      )
    }
    const cpuAll = () => agents.reduce((sum, a) => sum + (alive(a.pid) ? cpuSeconds(a.pid) : 0), 0)
    const cpuAtReady = cpuAll()
    const readies = stormed.map((s) => s.ms)
    log(`storm n=${nodes}: last ready ${round(lastReady - t0, 0)} ms after the spawn`)
    const converged = () => agents.every((o) => agents.every((m) => m === o || views.get(o.id)?.get(m.id) === 'alive'))
    let convergedAt: number | null = null
    const notAliveBySecond: number[] = []
    const notAlivePairs = () =>
      agents.reduce((n, o) => n + agents.filter((m) => m !== o && views.get(o.id)?.get(m.id) !== 'alive').length, 0)
    while (performance.now() - lastReady < timeoutMs) {
      if (converged()) {
        convergedAt = performance.now()
        break
      }
      const second = Math.floor((performance.now() - lastReady) / 1000)
      if (notAliveBySecond.length <= second) notAliveBySecond.push(notAlivePairs())
      await sleep(10)
    }
    log(
      convergedAt === null
        ? `storm n=${nodes}: no convergence within ${timeoutMs} ms`
        : `storm n=${nodes}: converged ${round(convergedAt - lastReady, 0)} ms after the last ready`,
    )
    const cpuAtConverged = cpuAll()
    const quietFrom = performance.now()
    await sleep((options.quietSeconds ?? 5) * 1000)
    const quietCores = (cpuAll() - cpuAtConverged) / ((performance.now() - quietFrom) / 1000)
    const names = new Map(agents.map((a) => [a.id, a.name]))
    const perAgent = new Map<string, number>()
    for (const x of accusations) {
      if (x.event !== 'member:suspect') continue
      const name = names.get(x.id) ?? x.id
      perAgent.set(name, (perAgent.get(name) ?? 0) + 1)
    }
    return {
      nodes,
      seeds,
      profile,
      joinAfterReady: options.joinAfterReady === true,
      loadBefore,
      loadAfter: await loadavg(),
      readyMs: {
        median: round(quantile(readies, 0.5), 0),
        p90: round(quantile(readies, 0.9), 0),
        max: round(Math.max(...readies), 0),
      },
      lastReadyMs: round(lastReady - t0, 0),
      convergenceMs: convergedAt === null ? null : round(convergedAt - lastReady, 0),
      cpu: {
        toReadySeconds: round(cpuAtReady, 1),
        toConvergeSeconds: round(cpuAtConverged - cpuAtReady, 1),
        quietCores: round(quietCores, 2),
      },
      suspectEvents: accusations.filter((x) => x.event === 'member:suspect').length,
      suspicions: new Set(accusations.filter((x) => x.event === 'member:suspect').map((x) => x.key)).size,
      notAliveBySecond,
      suspicionTimes: firstHeard(accusations.filter((x) => x.event === 'member:suspect')).map((at) =>
        round((at - lastReady) / 1000, 1),
      ),
      failedProbes: count(accusations.filter((x) => x.event === 'member:suspect').map((x) => x.firstHand)),
      deaths: accusations.filter((x) => x.event === 'member:dead').length,
      notAlive: count(
        agents
          .flatMap((o) => agents.filter((m) => m !== o).map((m) => views.get(o.id)?.get(m.id) ?? 'unknown'))
          .map((state) => (state === 'alive' ? null : state)),
      ),
      suspectedMost: [...perAgent].sort((a, b) => b[1] - a[1]).slice(0, 5),
      counters: await countersOf(agents),
    }
  } finally {
    await Promise.all(agents.map((a) => stopAgent(a, 2000).catch(() => killHard(a))))
    for (const a of agents) {
      if (alive(a.pid)) killHard(a)
      running.delete(a)
    }
    await rm(dir, { recursive: true, force: true })
  }
}

const USAGE =
  'usage: node bench/dist/storm.js [--nodes 50] [--seeds 1] [--runs 1] [--profile local] [--config file.json] [--join-after-ready]'

async function main(argv: string[]): Promise<number> {
  let values: {
    nodes?: string
    seeds?: string
    runs?: string
    profile?: string
    config?: string
    'join-after-ready'?: boolean
    help?: boolean
  }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        seeds: { type: 'string' },
        runs: { type: 'string' },
        profile: { type: 'string' },
        config: { type: 'string' },
        'join-after-ready': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }))
  } catch (err) {
    process.stderr.write(`storm: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const nodes = Number(values.nodes ?? 50)
  const seeds = Number(values.seeds ?? 1)
  const runs = Number(values.runs ?? 1)
  if (![nodes, seeds, runs].every(Number.isInteger) || nodes < 2 || seeds < 1 || seeds >= nodes || runs < 1) {
    process.stderr.write(`storm: --nodes >= 2, 1 <= --seeds < --nodes, --runs >= 1\n${USAGE}\n`)
    return 2
  }
  const config = values.config === undefined ? {} : JSON.parse(await readFile(values.config, 'utf8'))
  const results: StormResult[] = []
  for (let r = 0; r < runs; r++) {
    results.push(
      await runStorm({
        nodes,
        seeds,
        profile: values.profile,
        config,
        joinAfterReady: values['join-after-ready'] === true,
        log: (l) => process.stderr.write(`${l}\n`),
      }),
    )
    process.stderr.write(`${JSON.stringify(results.at(-1))}\n`)
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
      process.stderr.write(`storm: ${(err as Error).stack ?? err}\n`)
      process.exitCode = 1
    },
  )
}
