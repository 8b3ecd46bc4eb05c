/**
 * Memory benchmark (issue 12, item 4): what `murmur agent` costs over the libp2p node it runs on,
 * and what the membership service costs per node embedded in an application.
 *
 *   npm run bench:memory -- [--runs 3] [--idle 20] [--nodes 10] [--window 60] [--embedded 20]
 *                           [--embedded-window 60] [--only idle,cluster,embedded] [--snapshots DIR]
 *                           [--bin path/to/murmur/bin.js]
 *
 * Each run, in order:
 * 1. idle: one agent and one bare node (bench/bare-node.ts: createNode's libp2p without Murmur,
 *    bundled with the CLI bundle's esbuild options, as the agent is), started together, connected
 *    to nothing, measured after --idle seconds; with them a third, the same bare node loaded
 *    module by module (`bareUnbundled`: what packaging alone changes);
 * 2. cluster: --nodes agents (lan profile, joined through the first; waits until every agent
 *    sees every other alive) and --nodes bare nodes (every pair dialled once), started together,
 *    measured after a --window second steady window;
 * 3. embedded: --embedded nodes in one process, bare (every pair dialled) and with Murmur
 *    (createMurmurNode, joined, converged), each in a fresh process, both at once, measured after
 *    --embedded-window seconds: (with − without) / K = the service's cost per embedded node.
 * Separate processes run with the same Node flags (--expose-gc, the memory probe preloaded,
 * bench/lib/memory-probe.ts). Each is measured from outside (VmRSS in /proc), then asked over IPC
 * for process.memoryUsage() and V8's spaces, before and after a full GC. The load average is
 * recorded at each step: the machine is shared. --snapshots DIR writes heap snapshots of the
 * first run's idle agent and bare node there.
 *
 * One JSON object on stdout (progress on stderr); no verdicts. Every process is SIGKILLed by PID
 * at the end of its step, and on exit, SIGINT or SIGTERM.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ApiClient, BIN } from '@murmur/cli'
import {
  ask,
  askMemory,
  binFingerprint,
  bundleBareNode,
  killAll,
  type Measured,
  runEmbeddedChild,
  spawnBareNode,
  spawnMeasuredAgent,
  stop,
} from './lib/memory-procs.ts'
import { compare, inMB, type PerNodeCost, type ProcessRow, perNodeCost, spread } from './lib/memory-summary.ts'
import { rssMB, rssSplitMB } from './lib/proc.ts'
import { pool } from './lib/runner.ts'
import { round } from './lib/stats.ts'
import type { EmbeddedResult } from './memory-embedded.ts'

const STEPS = ['idle', 'cluster', 'embedded'] as const
type Step = (typeof STEPS)[number]

interface Options {
  runs: number
  idle: number
  nodes: number
  window: number
  embedded: number
  embeddedWindow: number
  /** The steps to run (--only, comma-separated). @default all three */
  steps: Step[]
  snapshots?: string
  /** The `murmur` entry point. @default the CLI's bundle (BIN of @murmur/cli) */
  bin: string
}

const USAGE =
  'usage: node bench/dist/memory.js [--runs 3] [--idle 20] [--nodes 10] [--window 60] [--embedded 20] ' +
  '[--embedded-window 60] [--only idle,cluster,embedded] [--snapshots DIR] [--bin path/to/murmur/bin.js]'
const CONVERGE_TIMEOUT_MS = 180_000
const log = (l: string) => process.stderr.write(`memory: ${l}\n`)
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')

async function peersOf(p: Measured): Promise<number> {
  if (p.kind !== 'agent') {
    const isPeers = (m: unknown): m is { peers: number } => (m as { bare?: string } | null)?.bare === 'peers'
    return (await ask(p, { bare: 'peers' }, isPeers)).peers
  }
  const info = await new ApiClient(p.api).get<{ stats: { transport: { connections: number } } }>('/v1/info')
  return info.stats.transport.connections
}

/** RSS from /proc first (the probe's own work must not count), then peers, then the probe. */
async function measure(p: Measured): Promise<ProcessRow> {
  const rss = rssMB(p.pid)
  const split = rssSplitMB(p.pid)
  const peers = await peersOf(p)
  const answer = await askMemory(p)
  if (answer.afterGc === null) throw new Error(`${p.kind} pid ${p.pid} runs without --expose-gc`)
  return {
    kind: p.kind,
    ...(p.name === undefined ? {} : { name: p.name }),
    pid: p.pid,
    rssMB: round(rss, 1),
    rssAnonMB: round(split.anon, 1),
    rssFileMB: round(split.file, 1),
    peers,
    before: inMB(answer.reading),
    afterGc: inMB(answer.afterGc),
  }
}

async function snapshot(p: Measured, dir: string): Promise<string> {
  const path = resolve(dir, `${p.kind}-${p.pid}.heapsnapshot`)
  const isDone = (m: unknown): m is { path: string } => (m as { probe?: string } | null)?.probe === 'snapshot'
  return (await ask(p, { probe: 'snapshot', path }, isDone, 120_000)).path
}

async function idle(o: Options, run: number): Promise<ProcessRow[]> {
  const procs: Measured[] = []
  try {
    procs.push(
      ...(await Promise.all([spawnMeasuredAgent('memory-idle', [], o.bin), spawnBareNode(), spawnBareNode(true)])),
    )
    await sleep(o.idle * 1000)
    const rows: ProcessRow[] = []
    for (const p of procs) rows.push(await measure(p))
    if (o.snapshots !== undefined && run === 0) {
      await mkdir(o.snapshots, { recursive: true })
      for (const p of procs) log(`heap snapshot: ${await snapshot(p, o.snapshots)}`)
    }
    return rows
  } finally {
    await Promise.all(procs.map(stop))
  }
}

async function waitConverged(agents: Measured[]): Promise<number> {
  const t0 = performance.now()
  const aliveOf = async (a: Measured) =>
    (await new ApiClient(a.api).get<{ members: { alive: number } }>('/v1/info')).members.alive
  for (;;) {
    const alive = await Promise.all(agents.map(aliveOf))
    if (alive.every((n) => n === agents.length)) return performance.now() - t0
    if (performance.now() - t0 > CONVERGE_TIMEOUT_MS)
      throw new Error(`agents see ${alive.join(',')} alive, not ${agents.length}`)
    await sleep(500)
  }
}

async function cluster(o: Options): Promise<ProcessRow[]> {
  const procs: Measured[] = []
  const track = (p: Measured) => {
    procs.push(p)
    return p
  }
  try {
    const seed = track(await spawnMeasuredAgent('memory-0', [], o.bin))
    const startAgents = pool(
      Array.from({ length: o.nodes - 1 }, (_, i) => i + 1),
      async (i) =>
        track(await spawnMeasuredAgent(`memory-${i}`, ['--join', seed.addrs[0], '--retry-max', '10'], o.bin)),
      { concurrency: 4 },
    )
    const startBare = pool(Array.from({ length: o.nodes }), async () => track(await spawnBareNode()), {
      concurrency: 4,
    })
    for (const r of [...(await startAgents), ...(await startBare)]) if (r.status === 'rejected') throw r.reason
    const agents = procs.filter((p) => p.kind === 'agent')
    const bares = procs.filter((p) => p.kind === 'bare')
    const isDialed = (m: unknown): m is { ok: number; failed: number } => (m as { bare?: string })?.bare === 'dialed'
    const dialed = await Promise.all(
      bares.map((b, i) => ask(b, { bare: 'dial', addrs: bares.slice(i + 1).map((c) => c.addrs[0]) }, isDialed, 60_000)),
    )
    const failed = dialed.reduce((n, d) => n + d.failed, 0)
    if (failed > 0) log(`cluster: ${failed} bare dials failed`)
    log(
      `cluster: ${o.nodes} agents converged in ${round((await waitConverged(agents)) / 1000, 1)} s; ${o.window} s window`,
    )
    await sleep(o.window * 1000)
    const rows: ProcessRow[] = []
    for (const p of procs) rows.push(await measure(p))
    return rows
  } finally {
    await Promise.all(procs.map(stop))
  }
}

interface EmbeddedRun {
  libp2p: EmbeddedResult
  murmur: EmbeddedResult
  perNode: PerNodeCost
}

async function embedded(o: Options): Promise<EmbeddedRun> {
  const args = (variant: string) => [
    '--variant',
    variant,
    '--nodes',
    String(o.embedded),
    '--window',
    String(o.embeddedWindow),
  ]
  const timeoutMs = (o.embeddedWindow + 300) * 1000
  const [libp2p, murmur] = await Promise.all([
    runEmbeddedChild<EmbeddedResult>(args('libp2p'), timeoutMs),
    runEmbeddedChild<EmbeddedResult>(args('murmur'), timeoutMs),
  ])
  return { libp2p, murmur, perNode: perNodeCost(o.embedded, libp2p, murmur) }
}

function environment() {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' })
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' })
  return {
    date: new Date().toISOString(),
    commit: git.status === 0 ? git.stdout.trim() : null,
    workingTreeChanged: dirty.status === 0 ? dirty.stdout.trim() !== '' : null,
    node: process.version,
    cores: availableParallelism(),
    memoryGB: round(totalmem() / 2 ** 30, 0),
  }
}

export async function runMemory(o: Options) {
  const has = (s: Step) => o.steps.includes(s)
  if (has('idle') || has('cluster')) await bundleBareNode()
  const load: Array<{ step: string; load: string }> = [{ step: 'start', load: loadavg() }]
  const binAtStart = binFingerprint(o.bin)
  const idleRows: ProcessRow[][] = []
  const clusterRows: ProcessRow[][] = []
  const embeddedRuns: EmbeddedRun[] = []
  for (let run = 0; run < o.runs; run++) {
    if (has('idle')) {
      log(`run ${run + 1}/${o.runs}: idle agent and bare nodes, ${o.idle} s (load ${loadavg()})`)
      idleRows.push(await idle(o, run))
      load.push({ step: `run ${run + 1} idle`, load: loadavg() })
    }
    if (has('cluster')) {
      log(`run ${run + 1}/${o.runs}: cluster of ${o.nodes} agents and ${o.nodes} bare nodes (load ${loadavg()})`)
      clusterRows.push(await cluster(o))
      load.push({ step: `run ${run + 1} cluster`, load: loadavg() })
    }
    if (has('embedded')) {
      log(`run ${run + 1}/${o.runs}: ${o.embedded} embedded nodes, libp2p alone and with Murmur (load ${loadavg()})`)
      const e = await embedded(o)
      log(`run ${run + 1}/${o.runs}: per embedded node ${JSON.stringify(e.perNode)}`)
      embeddedRuns.push(e)
      load.push({ step: `run ${run + 1} embedded`, load: loadavg() })
    }
  }
  const perNode = (f: (c: PerNodeCost) => number) => spread(embeddedRuns.map((e) => f(e.perNode)))
  return {
    environment: environment(),
    options: o,
    /** False when the agent's files changed during the run (someone rebuilt the CLI): its figures mix two builds. */
    binUnchanged: binFingerprint(o.bin) === binAtStart,
    load,
    ...(has('idle') ? { idle: { ...compare(idleRows.flat()), runs: idleRows } } : {}),
    ...(has('cluster') ? { cluster: { ...compare(clusterRows.flat()), runs: clusterRows } } : {}),
    ...(has('embedded')
      ? {
          embedded: {
            nodes: o.embedded,
            perNodeMB: {
              heapUsedAfterGc: perNode((c) => c.heapUsedAfterGcMB),
              rssAfterGc: perNode((c) => c.rssAfterGcMB),
              rss: perNode((c) => c.rssMB),
              rssPeak: perNode((c) => c.rssPeakMB),
            },
            runs: embeddedRuns,
          },
        }
      : {}),
  }
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries(
      ['runs', 'idle', 'nodes', 'window', 'embedded', 'embedded-window', 'only', 'snapshots', 'bin'].map((k) => [
        k,
        { type: 'string' },
      ]),
    ) as Record<string, { type: 'string' }>,
  })
  const int = (k: string, fallback: number, min: number) => {
    const v = values[k]
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${k} takes an integer >= ${min}, got ${v}`)
    return n
  }
  const steps = (values.only ?? STEPS.join(',')).split(',') as Step[]
  const unknown = steps.filter((x) => !STEPS.includes(x))
  if (unknown.length > 0) throw new Error(`--only takes a comma-separated list of ${STEPS.join(', ')}, got ${unknown}`)
  return {
    runs: int('runs', 3, 1),
    idle: int('idle', 20, 1),
    nodes: int('nodes', 10, 2),
    window: int('window', 60, 1),
    embedded: int('embedded', 20, 2),
    embeddedWindow: int('embedded-window', 60, 1),
    steps,
    bin: resolve(values.bin ?? BIN),
    ...(values.snapshots === undefined ? {} : { snapshots: resolve(String(values.snapshots)) }),
  }
}

async function main(argv: string[]): Promise<number> {
  let o: Options
  try {
    o = parse(argv)
  } catch (err) {
    process.stderr.write(`memory: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  const result = await runMemory(o)
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  (code) => {
    killAll()
    process.exitCode = code
  },
  (err) => {
    killAll()
    process.stderr.write(`memory: ${(err as Error).stack ?? err}\n`)
    process.exitCode = 1
  },
)
