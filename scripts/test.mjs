// The whole test run: lint, then every package's compiled mocha specs and the integration
// suite in one mocha run. Ends with the line CI reads: `N passed, N failed, N skipped`.
// Exits non-zero when anything failed or when no test ran. Run through `npm test`, which
// provisions Node 22 and builds first (scripts/dev.sh).
//
//   node scripts/test.mjs [--grep pattern] [--no-lint] [files...]
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Mocha from 'mocha'

const root = resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const grepAt = args.indexOf('--grep')
const grep = grepAt >= 0 ? args[grepAt + 1] : undefined
const lint = !args.includes('--no-lint')
const explicit = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--grep')

function specs(dir) {
  const out = []
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...specs(path))
    else if (name.endsWith('.spec.js')) out.push(path)
  }
  return out.sort()
}

let lintFailed = 0
if (lint) {
  const r = spawnSync('biome', ['check', '--colors=off', '.'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    lintFailed = 1
    console.error('lint: biome check failed (run `npm run format` to apply the safe fixes)')
  }
}

const files =
  explicit.length > 0
    ? explicit.map((f) => resolve(f))
    : [
        ...['core', 'transport-libp2p', 'cli'].flatMap((p) => specs(join(root, 'packages', p, 'dist', 'test'))),
        ...specs(join(root, 'test', 'dist')),
        ...specs(join(root, 'bench', 'dist', 'test')),
      ]

const mocha = new Mocha({ timeout: 60_000, color: process.stdout.isTTY === true, grep })
for (const f of files) mocha.addFile(f)
await mocha.loadFilesAsync()

let passed = 0
let failed = 0
let skipped = 0
const runner = mocha.run()
runner.on('pass', () => passed++)
runner.on('fail', () => failed++)
runner.on('pending', () => skipped++)
await new Promise((r) => runner.on('end', r))

failed += lintFailed
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
if (passed + failed === 0) console.error('no test ran: that counts as a failure')
process.exitCode = failed > 0 || passed === 0 ? 1 : 0
