/**
 * The benchmark suite: runs the simulator and real-cluster benchmarks with fixed seeds and writes
 *
 *   bench/results/<YYYY-MM-DD>/results.json   every run's figures (gitignored)
 *   bench/results/<YYYY-MM-DD>/report.html    self-contained charts (ECharts inlined, no network)
 *   bench/results/<YYYY-MM-DD>/svg/*.svg      every chart, rendered server-side
 *   docs/bench/*.svg, docs/bench/summary.md   the README's headline charts and figures (full run)
 *
 * plus, when run as root with `ip` and `iptables`, a real-network part (agents in network
 * namespaces: partitions and packet loss), whose "Real network" section of summary.md a full run
 * or `--only netns` writes (the latter leaving the rest of the file alone).
 *
 * Progress goes to stderr, a JSON summary to stdout. Run it as `npm run bench [-- --quick]`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { emptyCharts, localDate, runBenchmarks, writeReport } from './lib/bench.ts'
import { netnsHeadline } from './lib/netns-report.ts'
import { makePlan } from './lib/plan.ts'
import { killChildren } from './lib/runner.ts'
import type { Results } from './lib/types.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')

const USAGE = `usage: npm run bench -- [options]

  --quick            fewer seeds, sizes and seconds: every chart, in under 3 minutes
                     (plus about 5 minutes of real network when it runs)
  --seed <n>         first seed of the simulator runs (default 1)
  --jobs <n>         simulator runs at once (default: the number of cores)
  --only <part>      sim, cluster or netns: run only that part (the others' charts are left out or empty).
                     netns (agents in network namespaces: partitions, packet loss) needs root, \`ip\`
                     and \`iptables\`; a full run includes it when they are there and says why not otherwise
  --out <dir>        output folder (default bench/results/<YYYY-MM-DD>)
  --docs <dir>       also write the README's SVGs and summary.md there
                     (default docs/bench for a full run, and for --only netns, which writes only
                     summary.md's "Real network" section; a quick run writes none)
  --no-docs          never write the README's files
  --from <file>      re-render the report from an earlier results.json, running nothing
                     (an interrupted run leaves results.partial.json, which works too)
  -h, --help         this text`

interface Args {
  quick: boolean
  seed: number
  jobs?: number
  only?: Part
  out?: string
  docs?: string
  noDocs: boolean
  from?: string
}

const PARTS = ['sim', 'cluster', 'netns'] as const
type Part = (typeof PARTS)[number]

class UsageError extends Error {
  override name = 'UsageError'
}

function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer, got "${v}"`)
  return n
}

export function parse(argv: string[]): Args | 'help' {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        seed: { type: 'string' },
        jobs: { type: 'string' },
        only: { type: 'string' },
        out: { type: 'string' },
        docs: { type: 'string' },
        'no-docs': { type: 'boolean' },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help) return 'help'
  const only = values.only as string | undefined
  if (only !== undefined && !(PARTS as readonly string[]).includes(only)) {
    throw new UsageError(`--only takes "sim", "cluster" or "netns", got "${only}"`)
  }
  if (values.docs !== undefined && values['no-docs']) throw new UsageError('--docs and --no-docs contradict each other')
  return {
    quick: values.quick === true,
    seed: positiveInt('--seed', values.seed as string | undefined) ?? 1,
    jobs: positiveInt('--jobs', values.jobs as string | undefined),
    only: only as Part | undefined,
    out: values.out as string | undefined,
    docs: values.docs as string | undefined,
    noDocs: values['no-docs'] === true,
    from: values.from as string | undefined,
  }
}

/** Where the files go: --out, else bench/results/<date>. */
function outDirFor(args: Args, date: string): string {
  return resolve(args.out ?? join(ROOT, 'bench', 'results', date))
}

async function main(argv: string[]): Promise<number> {
  let args: Args | 'help'
  try {
    args = parse(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`bench: ${err.message}\n\n${USAGE}\n`)
    return 2
  }
  if (args === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`)
  const flags = [...(args.quick ? ['--quick'] : []), ...(args.only === 'netns' ? ['--only', 'netns'] : [])]
  const command = `npm run bench${flags.length > 0 ? ` -- ${flags.join(' ')}` : ''}`
  let results: Results
  if (args.from !== undefined) {
    results = JSON.parse(await readFile(args.from, 'utf8')) as Results
    log(`re-rendering ${args.from} (${results.sim.length} simulator runs, ${results.cluster.length} clusters)`)
  } else {
    const plan = makePlan(args.quick, args.seed)
    const partial = join(outDirFor(args, localDate(new Date())), 'results.partial.json')
    log(`${args.quick ? 'quick' : 'full'} run, seed ${args.seed}; every finished run is saved to ${partial}`)
    await mkdir(dirname(partial), { recursive: true })
    results = await runBenchmarks(plan, {
      jobs: args.jobs,
      sim: args.only === undefined || args.only === 'sim',
      cluster: args.only === undefined || args.only === 'cluster',
      netns: args.only === undefined || args.only === 'netns',
      log,
      checkpoint: (r) => writeFile(partial, `${JSON.stringify(r)}\n`),
    })
    await rm(partial, { force: true })
  }
  if (args.only === 'netns' && results.netns?.skipped !== undefined) {
    log(`--only netns: nothing to report (${results.netns.skipped})`)
    return 2
  }
  const outDir = outDirFor(args, results.environment.date)
  const fullRun = !results.plan.quick && (args.only === undefined || args.only === 'netns')
  const docsDir = args.noDocs
    ? undefined
    : args.docs !== undefined
      ? resolve(args.docs)
      : fullRun
        ? join(ROOT, 'docs', 'bench')
        : undefined
  const written = await writeReport(results, {
    outDir,
    docsDir,
    command,
    docsParts: args.only === 'netns' ? 'netns' : 'all',
  })
  const empty = emptyCharts(written.charts)
  for (const f of results.failures) log(`failed: ${f.what}: ${f.error}`)
  if (empty.length > 0) log(`charts with an empty series: ${empty.join(', ')}`)
  log(`report: ${join(outDir, 'report.html')}`)
  const summary = {
    quick: results.plan.quick,
    wallSeconds: results.wallSeconds,
    results: join(outDir, 'results.json'),
    report: join(outDir, 'report.html'),
    docs: docsDir ?? null,
    charts: written.charts.length,
    emptyCharts: empty,
    failures: results.failures.length,
    headline: written.headline,
    netns:
      results.netns === undefined
        ? null
        : results.netns.skipped !== undefined
          ? { skipped: results.netns.skipped }
          : netnsHeadline(results.netns),
  }
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
  return results.failures.length > 0 || empty.length > 0 ? 1 : 0
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}: killing every process it started\n`)
    killChildren()
    process.exit(130) // runs the 'exit' hooks, which SIGKILL the agents by PID
  })
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`)
    process.exitCode = 1
  },
)
