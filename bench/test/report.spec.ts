import { strict as assert } from 'node:assert'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { emptyCharts, writeReport } from '../lib/bench.ts'
import { buildCharts } from '../lib/charts.ts'
import { renderSvg } from '../lib/render.ts'
import { runSim } from '../lib/runner.ts'
import { cdf, fitLog2, quantile } from '../lib/stats.ts'
import { headline, references } from '../lib/summary.ts'
import { simBuilt, TINY_PLAN, tinyResults } from './fixtures.ts'

const REPORT_BIN = fileURLToPath(new URL('../report.js', import.meta.url))

describe('bench: statistics', () => {
  it('computes quantiles, CDF steps and the c·log2(N) fit', () => {
    assert.equal(quantile([3, 1, 2], 0.5), 2)
    assert.equal(quantile([0, 10], 0.99), 9.9)
    assert.deepEqual(cdf([2, 1]), [
      [1, 0],
      [1, 0.5],
      [2, 1],
    ])
    assert.equal(
      fitLog2([
        [4, 20],
        [16, 40],
      ]),
      10,
    )
  })

  it('takes the SWIM references from the engine config', () => {
    const r = references('lan', 100)
    assert.equal(r.firstSuspicionMs, Math.round((Math.E / (Math.E - 1)) * 1000))
    assert.equal(r.suspicionTimeoutMs, 8000) // 4 · log10(100) · 1 s
    assert.equal(r.firstDeadMs, r.firstSuspicionMs + 8000)
  })
})

describe('bench: report from a tiny deterministic run', function () {
  this.timeout(60_000)
  let dir: string

  before(async function () {
    if (!simBuilt()) this.skip()
    dir = await mkdtemp(join(tmpdir(), 'murmur-bench-test-'))
  })
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('runs every simulator run of the plan without failure', async () => {
    const results = await tinyResults()
    assert.deepEqual(results.failures, [])
    assert.equal(results.sim.length, 2 + 2 * 2 + 2 * 2)
  })

  it('gives the same figures for the same seed', async () => {
    const results = await tinyResults()
    const crash = results.sim.find((r) => r.scenario === 'crash' && r.seed === TINY_PLAN.seed)!
    const again = await runSim({
      scenario: 'crash',
      nodes: crash.nodes,
      seconds: TINY_PLAN.crash.seconds,
      loss: 0,
      seed: crash.seed,
    })
    // Everything the protocol decides is replayed exactly; only the wall clock and memory vary.
    const keys = [
      'firstDetectionMs',
      'fullDetectionMs',
      'falseSuspicions',
      'falseDeaths',
      'messagesPerMemberPerSecond',
      'bytesPerMemberPerSecond',
    ] as const
    for (const k of keys) assert.equal(again[k], crash[k], k)
  })

  it('builds charts whose every series has data, each rendering to SVG server-side', async () => {
    const results = await tinyResults()
    const charts = buildCharts(results, headline(results))
    assert.deepEqual(
      charts.map((c) => c.id),
      [
        'detection',
        'load',
        'dissemination',
        'false-suspicions',
        'false-deaths',
        'cluster-times',
        'cluster-resources',
        'cluster-traffic',
      ],
    )
    assert.deepEqual(emptyCharts(charts), [], 'charts with an empty series')
    for (const chart of charts) {
      // The same option object goes to the browser as JSON: no functions, nothing lost.
      assert.deepEqual(JSON.parse(JSON.stringify(chart.option)), chart.option, `${chart.id} is not plain JSON`)
      const svg = renderSvg(chart)
      assert.match(svg, /^<svg[\s\S]*<\/svg>$/, `${chart.id}: not an SVG document`)
      assert.match(svg, /<title>[^<]+<\/title>/, `${chart.id}: no <title>`)
      assert.doesNotMatch(svg, /CDATA/, `${chart.id}: CDATA left in (the linter cannot parse it)`)
      assert.ok((svg.match(/<path/g) ?? []).length > 5, `${chart.id}: the SVG draws almost nothing`)
    }
  })

  it('writes results.json, report.html with ECharts inlined, every SVG and the summary', async () => {
    const results = await tinyResults()
    const docs = join(dir, 'docs')
    const written = await writeReport(results, { outDir: join(dir, 'out'), docsDir: docs, command: 'test' })
    const html = await readFile(join(dir, 'out', 'report.html'), 'utf8')
    assert.ok(html.length > 300_000, 'the ECharts bundle is inlined')
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'the page loads nothing from elsewhere')
    const summary = await readFile(join(docs, 'summary.md'), 'utf8')
    assert.match(summary, /Lifeguard on/)
    const headlineSvgs = written.files.filter((f) => f.startsWith(docs) && f.endsWith('.svg'))
    assert.equal(headlineSvgs.length, written.charts.filter((c) => c.headline).length)
    const h = written.headline
    assert.ok(h.detection.runs === 2 && Number.isFinite(h.detection.firstP50Ms))
    assert.ok(h.load.messagesPerMemberPerSecond.every((x) => x > 0))
  })
})

describe('bench: command line', () => {
  it('rejects a bad flag with a clear message and exit code 2', () => {
    const r = spawnSync(process.execPath, [REPORT_BIN, '--qiuck'], { encoding: 'utf8' })
    assert.equal(r.status, 2)
    assert.match(r.stderr, /Unknown option '--qiuck'/)
    assert.match(r.stderr, /usage: npm run bench/)
    const bad = spawnSync(process.execPath, [REPORT_BIN, '--jobs', 'many'], { encoding: 'utf8' })
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /--jobs takes a positive integer, got "many"/)
  })
})
