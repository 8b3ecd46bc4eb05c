import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emptyCharts, environment, writeReport } from '../lib/bench.ts'
import { buildCharts } from '../lib/charts.ts'
import { type Fixture, type NetnsCluster, parseLinkStats, runNetns, trafficRates } from '../lib/netns.ts'
import {
  mergeSection,
  netnsCharts,
  netnsHeadline,
  netnsMarkdown,
  netnsTables,
  SECTION_BEGIN,
  SECTION_END,
} from '../lib/netns-report.ts'
import { makePlan, netnsPlan } from '../lib/plan.ts'
import { renderSvg } from '../lib/render.ts'
import { headline } from '../lib/summary.ts'
import type { NetnsResults, Results } from '../lib/types.ts'
import { NETNS_FIXTURE } from './fixtures.ts'

const REPORT_BIN = fileURLToPath(new URL('../report.js', import.meta.url))

/** Results of an `--only netns` run: no simulator runs, no clusters, the fixed real-network figures. */
function netnsOnly(netns: NetnsResults = NETNS_FIXTURE): Results {
  const plan = makePlan(false)
  return { version: 1, environment: environment(), plan, wallSeconds: 1, sim: [], cluster: [], netns, failures: [] }
}

describe('bench: real-network plan', () => {
  it('runs 3 of each cut for 60 s in a full run, 1 of each for less with --quick, loss 0/10/20% in both', () => {
    const full = makePlan(false).netns!
    const quick = makePlan(true).netns!
    assert.deepEqual(full, netnsPlan(false))
    assert.equal(full.nodes, 10)
    assert.equal(full.profile, 'lan')
    assert.deepEqual(full.partition.modes, ['silent', 'error'])
    assert.equal(full.partition.runs, 3)
    assert.equal(full.partition.cutSeconds, 60)
    assert.equal(quick.partition.runs, 1)
    assert.ok(quick.partition.cutSeconds < full.partition.cutSeconds)
    assert.ok(quick.loss.windowSeconds < full.loss.windowSeconds)
    assert.deepEqual(full.loss.losses, [0, 0.1, 0.2])
    assert.deepEqual(quick.loss.losses, [0, 0.1, 0.2])
  })

  it('reports the part as skipped, with the reason, when namespaces cannot be used', async () => {
    const fixture = { netnsUnsupported: () => 'network namespaces need root' } as unknown as Fixture
    const r = await runNetns(netnsPlan(true), { fixture })
    assert.equal(r.skipped, 'network namespaces need root')
    assert.deepEqual([r.partition, r.loss], [[], []])
    assert.deepEqual(netnsCharts(r), [])
  })

  it('runs each cut mode the planned number of times, each on a fresh cluster torn down after', async () => {
    let started = 0
    let tornDown = 0
    const cluster = {
      waitFor: async () => Date.now(),
      converged: () => true,
      teardown: async () => {
        tornDown++
      },
    } as unknown as NetnsCluster
    const fixture: Fixture = {
      netnsUnsupported: () => undefined,
      NetnsCluster: {
        start: async () => {
          started++
          return cluster
        },
      },
      runPartition: async (_c, o) => ({
        mode: o.mode as 'silent' | 'error',
        cutMs: o.cutMs as number,
        detectMs: { first: 5000, last: 9000 },
        firstContactMs: 100,
        healMs: 2000,
        falseDeaths: { duringCut: 0, afterHeal: 0 },
        falseSuspicions: { duringCut: 0, afterHeal: 1 },
      }),
    }
    const plan = { ...netnsPlan(false), loss: { ...netnsPlan(false).loss, losses: [] } }
    const r = await runNetns(plan, { fixture })
    assert.equal(r.skipped, undefined)
    assert.deepEqual(
      r.partition.map((p) => `${p.mode} ${p.run}`),
      ['silent 1', 'silent 2', 'silent 3', 'error 1', 'error 2', 'error 3'],
    )
    assert.equal(started, 6)
    assert.equal(tornDown, 6)
    assert.equal(r.partition[0].cutMs, 60_000)
    assert.equal(r.partition[0].load.before.length, 3, 'the load average is recorded')
    // suspicionMaxTimeoutMult 6 × suspicionMult 4 × log10(10) × 1 s, the lan profile's longest suspicion
    assert.equal(r.partition[0].settleMs, 24_000)
  })
})

describe('bench: real-network counters', () => {
  it('reads an interface’s counters from `ip -j -s link show` output', () => {
    const json = JSON.stringify([
      {
        ifname: 'eth0',
        stats64: {
          rx: { bytes: 1000, packets: 10, errors: 0, dropped: 0 },
          tx: { bytes: 2000, packets: 20, errors: 0, dropped: 0 },
        },
      },
    ])
    assert.deepEqual(parseLinkStats(json), { rxBytes: 1000, rxPackets: 10, txBytes: 2000, txPackets: 20 })
    assert.throws(() => parseLinkStats('[{"ifname":"eth0"}]'), /no stats64/)
  })

  it('turns two samples per agent into mean rates per agent per second', () => {
    const at = (t: number, k: number) => ({
      at: t,
      link: { rxBytes: k * 100, rxPackets: k, txBytes: k * 200, txPackets: k * 2 },
      payload: { bytesIn: k * 10, bytesOut: k * 20, packetsOut: k },
    })
    // agent 0: 10 s, counters ×10; agent 1: 5 s, counters ×20 (so twice the rate)
    const rates = trafficRates([at(0, 0), at(0, 0)], [at(10_000, 10), at(5000, 20)])
    assert.deepEqual(rates, {
      wireTxBytes: (200 + 800) / 2,
      wireRxBytes: (100 + 400) / 2,
      wireTxPackets: (2 + 8) / 2,
      wireRxPackets: (1 + 4) / 2,
      payloadBytesOut: (20 + 80) / 2,
      payloadBytesIn: (10 + 40) / 2,
      payloadPacketsOut: (1 + 4) / 2,
    })
  })
})

describe('bench: real-network report', () => {
  it('computes heal medians and maxima, leaving unhealed runs out, and sums false verdicts', () => {
    const h = netnsHeadline(NETNS_FIXTURE)
    const silent = h.partition.find((p) => p.mode === 'silent')!
    assert.equal(silent.runs, 3)
    assert.equal(silent.healed, 2)
    assert.equal(silent.healMedianMs, 25_000)
    assert.equal(silent.healMaxMs, 30_000)
    assert.equal(silent.falseDeathsAfterHeal, 1)
    assert.deepEqual(
      h.loss.map((l) => l.loss),
      [0, 0.1, 0.2],
    )
    assert.deepEqual(h.load1, { min: 1.5, max: 3.5 })
  })

  it('renders the tables with every loss rate and the cut modes named', () => {
    const [partition, loss] = netnsTables(NETNS_FIXTURE)
    assert.match(partition.title, /10 agents in network namespaces, lan profile, halves cut apart for 60 s/)
    assert.deepEqual(partition.rows[0].slice(0, 2), ['silent (DROP on INPUT)', '3 (1 not healed)'])
    assert.deepEqual(partition.rows[0].slice(4, 6), ['25 s', '30 s'])
    assert.deepEqual(
      loss.rows.map((r) => r[0]),
      ['0%', '10%', '20%'],
    )
    assert.equal(loss.rows[1][5], '250', 'IP bytes out per node per second')
  })

  it('writes a summary section between markers that replaces an earlier one and leaves the rest alone', () => {
    const section = netnsMarkdown(NETNS_FIXTURE, 'npm run bench -- --only netns')
    assert.ok(section.startsWith(SECTION_BEGIN) && section.endsWith(SECTION_END))
    assert.match(section, /## Real network/)
    assert.match(section, /load average was 1\.5 to 3\.5/)
    assert.match(section, /### Packet loss/)
    const before = '# Murmur benchmark summary\n\nsimulator figures\n'
    const once = mergeSection(before, section)
    assert.ok(once.startsWith(before.trimEnd()), 'the rest of the file is kept')
    assert.equal(mergeSection(once, section), once, 'merging again changes nothing')
    const older = mergeSection(before, `${SECTION_BEGIN}\nold figures\n${SECTION_END}`)
    const newer = mergeSection(`${older}\n## after\n`, section)
    assert.doesNotMatch(newer, /old figures/)
    assert.match(newer, /## after/)
  })

  it('builds only the real-network charts for an --only netns run, each rendering to SVG', () => {
    const results = netnsOnly()
    const charts = buildCharts(results, headline(results))
    assert.deepEqual(
      charts.map((c) => c.id),
      ['netns-partition', 'netns-loss'],
    )
    assert.deepEqual(emptyCharts(charts), [])
    for (const chart of charts) {
      assert.deepEqual(JSON.parse(JSON.stringify(chart.option)), chart.option, `${chart.id} is not plain JSON`)
      const svg = renderSvg(chart)
      assert.match(svg, /<title>Real network/)
      assert.ok((svg.match(/<path/g) ?? []).length > 5, `${chart.id}: the SVG draws almost nothing`)
    }
  })

  describe('docs', () => {
    let dir: string
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'murmur-bench-netns-'))
    })
    after(async () => {
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    it('--only netns merges its section into summary.md and writes nothing else in docs/', async () => {
      const docs = join(dir, 'docs-netns')
      const rest = '# Murmur benchmark summary\n\n## Crash detection\n\nfigures\n'
      await mkdir(docs, { recursive: true })
      await writeFile(join(docs, 'summary.md'), rest)
      const written = await writeReport(netnsOnly(), {
        outDir: join(dir, 'out'),
        docsDir: docs,
        command: 'npm run bench -- --only netns',
        docsParts: 'netns',
      })
      const summary = await readFile(join(docs, 'summary.md'), 'utf8')
      assert.ok(summary.startsWith(rest.trimEnd()))
      assert.match(summary, /## Real network/)
      assert.deepEqual(
        written.files.filter((f) => f.startsWith(docs)),
        [join(docs, 'summary.md')],
      )
      const html = await readFile(join(dir, 'out', 'report.html'), 'utf8')
      assert.match(html, /<h2>Real network<\/h2>/)
      assert.match(html, /IP bytes out \/ node \/ s/)
    })

    it('a full run that could not run the real network keeps the section already in summary.md', async () => {
      const docs = join(dir, 'docs-full')
      await mkdir(docs, { recursive: true })
      const section = `${SECTION_BEGIN}\n## Real network\n\nearlier figures\n${SECTION_END}`
      await writeFile(join(docs, 'summary.md'), `# old\n\n${section}\n`)
      const skipped: NetnsResults = { ...NETNS_FIXTURE, skipped: 'not root', partition: [], loss: [] }
      await writeReport(netnsOnly(skipped), { outDir: join(dir, 'out-full'), docsDir: docs, command: 'npm run bench' })
      const summary = await readFile(join(docs, 'summary.md'), 'utf8')
      assert.match(summary, /^# Murmur benchmark summary/, 'the rest is written afresh')
      assert.ok(summary.includes(section), 'the earlier real-network section is carried over')
    })
  })
})

describe('bench: command line (real network)', () => {
  it('names netns among the parts --only takes', () => {
    const r = spawnSync(process.execPath, [REPORT_BIN, '--only', 'browsers'], { encoding: 'utf8' })
    assert.equal(r.status, 2)
    assert.match(r.stderr, /--only takes "sim", "cluster" or "netns", got "browsers"/)
  })
})
