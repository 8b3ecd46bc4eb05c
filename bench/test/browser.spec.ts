import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { writeReport } from '../lib/bench.ts'
import { simBuilt, tinyResults } from './fixtures.ts'

const CHROMIUM = '/usr/bin/chromium'

/** Runs headless Chromium on `url` with --dump-dom after `budgetMs` of virtual time; kills it by PID if it hangs. */
function dumpDom(url: string, profile: string, budgetMs = 5000): Promise<string> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${profile}`,
    '--window-size=1400,4000',
    `--virtual-time-budget=${budgetMs}`,
    '--dump-dom',
    url,
  ]
  const child = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-2000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
    }, 25_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      if (code === 0 && out !== '') resolve(out)
      else reject(new Error(`chromium exited with ${code}: ${err}`))
    })
  })
}

describe('bench: report.html in a browser', function () {
  this.timeout(60_000)
  let dir: string

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: ${CHROMIUM} is not installed; apt-get install -y chromium to run it)`)
      this.skip()
    }
    if (!simBuilt()) this.skip()
    dir = await mkdtemp(join(tmpdir(), 'murmur-bench-browser-'))
  })
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('draws every chart with data, offline', async () => {
    const results = await tinyResults()
    const { charts } = await writeReport(results, { outDir: dir, command: 'test' })
    const dom = await dumpDom(pathToFileURL(join(dir, 'report.html')).href, join(dir, 'chromium'))
    const ready = /data-charts-ready="(\d+)"/.exec(dom)
    const total = /data-charts-total="(\d+)"/.exec(dom)
    assert.ok(ready && total, 'the page never marked itself rendered (did its script fail?)')
    assert.equal(Number(total[1]), charts.length)
    assert.equal(Number(ready[1]), charts.length, `only ${ready[1]} of ${charts.length} charts drew data`)
    assert.match(
      dom,
      new RegExp(`<title>Murmur benchmark report \\(${charts.length}/${charts.length} charts\\)</title>`),
    )
    for (const c of charts) assert.match(dom, new RegExp(`id="chart-${c.id}"[^>]*data-rendered="ok"`), c.id)
  })
})
