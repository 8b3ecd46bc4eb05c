/**
 * Start-up benchmark: how long the `murmur` command takes before it is useful.
 *
 *   node bench/dist/startup.js [--runs 10] [--bin path/to/bin.js]
 *
 * prints one JSON object on stdout (progress on stderr), each figure over `runs` sequential runs
 * after one unmeasured warm-up (the first run after a build fills the OS page cache and Node's
 * compile cache; it is reported apart as `coldMs`):
 * - `node`: a bare `node -e 0`, the floor every figure below stands on;
 * - `help`: `murmur --help` until exit;
 * - `client`: `murmur members --api 127.0.0.1:1` (no agent there) until it exits 4;
 * - `agentReady`: spawn of `murmur agent --json` until it prints {"event":"ready"};
 * - `idleRssMB`: the RSS of each of those agents 2 s after `ready`.
 * The machine's load average is printed before and after: other processes slow every figure.
 */
import { spawn } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { BIN } from '@murmur/cli'
import { rssMB } from './lib/proc.ts'
import { quantile, round } from './lib/stats.ts'

export interface Distribution {
  /** The warm-up run, not counted below. */
  coldMs: number
  medianMs: number
  p90Ms: number
  minMs: number
  maxMs: number
  runs: number[]
}

export interface StartupResult {
  bin: string
  node: string
  loadBefore: string
  loadAfter: string
  nodeBare: Distribution
  help: Distribution
  client: Distribution
  agentReady: Distribution
  idleRssMB: { median: number; max: number }
}

function distribution(cold: number, runs: number[]): Distribution {
  return {
    coldMs: round(cold, 0),
    medianMs: round(quantile(runs, 0.5), 0),
    p90Ms: round(quantile(runs, 0.9), 0),
    minMs: round(Math.min(...runs), 0),
    maxMs: round(Math.max(...runs), 0),
    runs: runs.map((r) => round(r, 0)),
  }
}

async function loadavg(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')
}

/** Wall time of `node args` until it exits; rejects when its exit code is not `expectCode`. */
function timeExit(args: string[], expectCode: number): Promise<number> {
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      const ms = performance.now() - t0
      if (code === expectCode) resolve(ms)
      else reject(new Error(`node ${args.join(' ')} exited ${code}, expected ${expectCode}: ${stderr.trim()}`))
    })
  })
}

/** Spawn to {"event":"ready"} of one agent, and its RSS 2 s later; the agent is then killed. */
function timeAgent(bin: string): Promise<{ ms: number; rss: number }> {
  const args = [
    bin,
    'agent',
    '--json',
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
    '--profile',
    'local',
  ]
  const t0 = performance.now()
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000)
  })
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  return new Promise((resolve, reject) => {
    let buf = ''
    let ready = false
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`no ready within 20 s: ${stderr.trim()}`))
    }, 20_000)
    child.stdout?.on('data', (d: Buffer) => {
      if (ready) return
      buf += d.toString()
      if (!buf.includes('"event":"ready"')) return
      ready = true
      clearTimeout(timer)
      const ms = performance.now() - t0
      void sleep(2000).then(async () => {
        const rss = rssMB(child.pid!)
        child.kill('SIGKILL')
        await exited
        resolve({ ms, rss })
      })
    })
    void exited.then(() => {
      if (ready) return
      clearTimeout(timer)
      reject(new Error(`agent exited before ready: ${stderr.trim()}`))
    })
  })
}

async function series(runs: number, once: () => Promise<number>): Promise<Distribution> {
  const cold = await once()
  const out: number[] = []
  for (let i = 0; i < runs; i++) out.push(await once())
  return distribution(cold, out)
}

export async function runStartup(runs = 10, bin = BIN, log: (l: string) => void = () => {}): Promise<StartupResult> {
  const loadBefore = await loadavg()
  log(`startup: load ${loadBefore}; ${runs} runs each of ${bin}`)
  const nodeBare = await series(runs, () => timeExit(['-e', '0'], 0))
  log(`startup: node -e 0 median ${nodeBare.medianMs} ms`)
  const help = await series(runs, () => timeExit([bin, '--help'], 0))
  log(`startup: --help median ${help.medianMs} ms`)
  const client = await series(runs, () => timeExit([bin, 'members', '--api', '127.0.0.1:1'], 4))
  log(`startup: members (no agent) median ${client.medianMs} ms`)
  const rss: number[] = []
  const agentReady = await series(runs, async () => {
    const r = await timeAgent(bin)
    rss.push(r.rss)
    return r.ms
  })
  log(`startup: agent ready median ${agentReady.medianMs} ms`)
  return {
    bin,
    node: process.version,
    loadBefore,
    loadAfter: await loadavg(),
    nodeBare,
    help,
    client,
    agentReady,
    idleRssMB: { median: round(quantile(rss, 0.5), 1), max: round(Math.max(...rss), 1) },
  }
}

const USAGE = 'usage: node bench/dist/startup.js [--runs N] [--bin path/to/murmur/bin.js]'

async function main(argv: string[]): Promise<number> {
  let values: { runs?: string; bin?: string; help?: boolean }
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: { runs: { type: 'string' }, bin: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }))
  } catch (err) {
    process.stderr.write(`startup: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const runs = values.runs === undefined ? 10 : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`startup: --runs takes a positive integer\n${USAGE}\n`)
    return 2
  }
  const result = await runStartup(runs, values.bin ?? BIN, (l) => process.stderr.write(`${l}\n`))
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
  return 0
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err) => {
      process.stderr.write(`startup: ${(err as Error).stack ?? err}\n`)
      process.exitCode = 1
    },
  )
}
