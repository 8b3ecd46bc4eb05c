/** The benchmark run as a library: run a plan, then write results.json, report.html, SVGs and summary.md. */
import { spawnSync } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { buildCharts, type Chart, pointCount } from './charts.ts'
import { findSection, mergeSection, netnsMarkdown } from './netns-report.ts'
import { simRuns } from './plan.ts'
import { renderSvg, reportHtml } from './render.ts'
import { estimateMemoryMB, pool, runSim } from './runner.ts'
import { round } from './stats.ts'
import { type Headline, headline, summaryMarkdown } from './summary.ts'
import type { ClusterResult, Environment, Failure, Group, NetnsResults, Plan, Results, SimResult } from './types.ts'

export interface RunOptions {
  /** Simulator runs at once. @default os.availableParallelism() */
  jobs?: number
  /** Skip the simulator or the real clusters. */
  sim?: boolean
  cluster?: boolean
  /** Skip the real-network part (it runs only when the plan has one). */
  netns?: boolean
  /** Progress lines. */
  log?: (line: string) => void
  /** Called with everything measured so far after each run, so a long run that is stopped loses nothing. */
  checkpoint?: (partial: Results) => Promise<void>
}

/** Runs every simulator run of the plan (in a pool of child processes), then the real clusters one after another. */
export async function runBenchmarks(plan: Plan, options: RunOptions = {}): Promise<Results> {
  const log = options.log ?? (() => {})
  const started = performance.now()
  const sim: SimResult[] = []
  const cluster: ClusterResult[] = []
  const failures: Failure[] = []
  let netns: NetnsResults | undefined
  const snapshot = (): Results => ({
    version: 1,
    environment: environment(),
    plan,
    wallSeconds: round((performance.now() - started) / 1000, 1),
    sim: [...sim].sort(bySimRun),
    cluster: [...cluster],
    ...(netns === undefined ? {} : { netns }),
    failures: [...failures],
  })
  // Checkpoints are written one at a time, in order; a failed write is reported, never fatal.
  let saving = Promise.resolve()
  const save = () => {
    if (options.checkpoint === undefined) return
    const partial = snapshot()
    saving = saving
      .then(() => options.checkpoint?.(partial))
      .catch((err) => log(`checkpoint: ${(err as Error).message}`))
  }
  if (options.sim !== false) {
    const runs = simRuns(plan)
    log(`simulator: ${runs.length} runs, ${options.jobs ?? availableParallelism()} at a time`)
    const running = new Map<string, number>()
    const heartbeat = setInterval(() => {
      const now = performance.now()
      for (const [name, since] of running) log(`still running (${round((now - since) / 60_000, 1)} min): ${name}`)
    }, 60_000)
    const run = async (p: (typeof runs)[number]) => {
      const name = describe(p.group, p.run)
      running.set(name, performance.now())
      try {
        return await runSim(p.run)
      } finally {
        running.delete(name)
      }
    }
    await pool(runs, run, {
      concurrency: options.jobs ?? availableParallelism(),
      // Big clusters take most of the machine's memory: never two of them at once.
      weight: (p) => estimateMemoryMB(p.run),
      capacity: (totalmem() / 2 ** 20) * 0.8,
      onSettled: (p, r, done) => {
        const name = describe(p.group, p.run)
        if (r.status === 'fulfilled') {
          sim.push({ ...r.value, group: p.group })
          log(
            `[${done}/${runs.length}] ${name}: ${round(r.value.wallSeconds, 1)} s wall, heap ${round(r.value.maxHeapMB, 0)} MB`,
          )
        } else {
          failures.push({ what: name, error: (r.reason as Error).message })
          log(`[${done}/${runs.length}] ${name}: FAILED ${(r.reason as Error).message}`)
        }
        save()
      },
    })
    clearInterval(heartbeat)
  }
  if (options.cluster !== false) {
    // Loaded only here, so that the simulator part and re-rendering work without the CLI built.
    const { runCluster } = await import('../cluster.ts')
    // Run after the simulator, one at a time: CPU figures need a quiet machine.
    for (const n of plan.cluster.sizes) {
      try {
        cluster.push(
          await runCluster(n, { profile: plan.cluster.profile, windowSeconds: plan.cluster.windowSeconds, log }),
        )
      } catch (err) {
        failures.push({ what: `cluster n=${n}`, error: (err as Error).message })
        log(`cluster n=${n}: FAILED ${(err as Error).message}`)
      }
      save()
    }
  }
  if (options.netns !== false && plan.netns !== undefined) {
    // Loaded only here: the fixture comes from the test build. Last, alone: its times need a quiet machine.
    const { runNetns } = await import('./netns.ts')
    netns = await runNetns(plan.netns, {
      log: (line) => log(`real network: ${line}`),
      onRun: (partial) => {
        netns = partial
        save()
      },
      onFailure: (what, err) => failures.push({ what, error: err.message }),
    })
    if (netns.skipped !== undefined) log(`real network: skipped: ${netns.skipped}`)
    save()
  }
  await saving
  return snapshot()
}

function describe(
  group: Group,
  r: { scenario: string; nodes: number; loss: number; seed: number; lifeguard?: boolean },
) {
  const lg = r.lifeguard === false ? ' no-lifeguard' : ''
  return `sim ${group} ${r.scenario} n=${r.nodes} loss=${r.loss} seed=${r.seed}${lg}`
}

/** A stable order for results.json, whatever order the pool finished in. */
function bySimRun(a: SimResult, b: SimResult): number {
  return (
    a.scenario.localeCompare(b.scenario) ||
    a.nodes - b.nodes ||
    a.loss - b.loss ||
    Number(b.lifeguard) - Number(a.lifeguard) ||
    a.seed - b.seed
  )
}

export function environment(): Environment {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' })
  const now = new Date()
  return {
    date: localDate(now),
    commit: git.status === 0 ? git.stdout.trim() : null,
    node: process.versions.node,
    cpus: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform}-${process.arch}`,
  }
}

/** YYYY-MM-DD in local time (the results folder name). */
export function localDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export interface WriteOptions {
  /** Where results.json, report.html and svg/ go. */
  outDir: string
  /** Where the README's headline SVGs and summary.md go; none when undefined. */
  docsDir?: string
  /**
   * 'all' (a full run): every headline SVG and summary.md written whole, with the real-network
   * section of this run, or the one already in the file when this run has none. 'netns': only the
   * real-network section, merged into the existing summary.md (the rest is left as it is).
   * @default 'all'
   */
  docsParts?: 'all' | 'netns'
  /** The command that regenerates these files, quoted in them. */
  command: string
}

export interface Written {
  headline: Headline
  charts: Chart[]
  files: string[]
}

/** Writes results.json, report.html, one SVG per chart, and (with docsDir) the README's SVGs and summary.md. */
export async function writeReport(results: Results, options: WriteOptions): Promise<Written> {
  const h = headline(results)
  const charts = buildCharts(results, h)
  const files: string[] = []
  const put = async (path: string, text: string) => {
    await writeFile(path, text)
    files.push(path)
  }
  await mkdir(join(options.outDir, 'svg'), { recursive: true })
  await put(join(options.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  await put(join(options.outDir, 'report.html'), reportHtml(results, h, charts, options.command))
  const svgs = new Map(charts.map((c) => [c.id, renderSvg(c)]))
  for (const [id, svg] of svgs) await put(join(options.outDir, 'svg', `${id}.svg`), svg)
  if (options.docsDir !== undefined) {
    await mkdir(options.docsDir, { recursive: true })
    const summaryPath = join(options.docsDir, 'summary.md')
    const existing = await readFile(summaryPath, 'utf8').catch(() => '')
    const ran = results.netns !== undefined && results.netns.skipped === undefined
    const section = ran ? netnsMarkdown(results.netns!, options.command) : findSection(existing)
    if (options.docsParts === 'netns') {
      if (ran) await put(summaryPath, mergeSection(existing || '# Murmur benchmark summary\n', section!))
    } else {
      for (const c of charts.filter((c) => c.headline)) await put(join(options.docsDir, `${c.id}.svg`), svgs.get(c.id)!)
      const whole = summaryMarkdown(results, h, options.command)
      await put(summaryPath, section === undefined ? whole : mergeSection(whole, section))
    }
  }
  return { headline: h, charts, files }
}

/** Charts with no data in some series: a report with these is suspect. */
export function emptyCharts(charts: Chart[]): string[] {
  return charts
    .filter((c) => {
      const series = Array.isArray(c.option.series) ? c.option.series : []
      return pointCount(c) === 0 || series.some((s) => !Array.isArray(s.data) || s.data.length === 0)
    })
    .map((c) => c.id)
}
