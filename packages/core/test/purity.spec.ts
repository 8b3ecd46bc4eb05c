import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// The core is a deterministic state machine: time, randomness and I/O come in through Clock,
// Random and Transport. Only these files may touch the host.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url))
const ALLOWED = new Set(['clock.ts', 'random.ts'])
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bDate\.now\b|\bnew Date\b|\bperformance\.now\b/, 'wall-clock time'],
  [/(?<![.\w])(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|queueMicrotask)\s*\(/, 'a host timer'],
  [/\bMath\.random\b/, 'unseeded randomness'],
  [/\bconsole\s*\./, 'console output'],
  [/\bcrypto\s*\./, 'host crypto'],
  [/\bprocess\s*\./, 'the process'],
  [/\bfrom\s+['"]node:|\bimport\s*\(\s*['"]node:|\brequire\s*\(/, 'a node: import'],
]

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'testing' ? [] : sources(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** Drops comments (TSDoc examples may show console.log) but keeps strings and code. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

describe('core purity', () => {
  const files = sources(SRC).filter((f) => !ALLOWED.has(relative(SRC, f)))

  it('finds the sources', () => {
    assert.ok(files.length >= 15, `only ${files.length} files under ${SRC}`)
    assert.ok(files.some((f) => f.endsWith('membership.ts')))
  })

  it('never reaches for time, timers, randomness, console, crypto or node: outside clock.ts, random.ts and testing/', () => {
    const found: string[] = []
    for (const file of files) {
      const lines = code(readFileSync(file, 'utf8')).split('\n')
      lines.forEach((line, i) => {
        for (const [pattern, what] of FORBIDDEN) {
          if (pattern.test(line)) found.push(`${relative(SRC, file)}:${i + 1}: ${what}: ${line.trim()}`)
        }
      })
    }
    assert.deepEqual(found, [])
  })

  it('the patterns do catch what they are meant to', () => {
    const bad = [
      'const t = Date.now()',
      'setTimeout(() => {}, 1)',
      'Math.random()',
      "console.log('x')",
      "import { x } from 'node:fs'",
      'crypto.getRandomValues(b)',
    ]
    for (const line of bad)
      assert.ok(
        FORBIDDEN.some(([p]) => p.test(code(line))),
        line,
      )
    const fine = ['this.clock.setTimeout(fn, 1)', "// console.log('in a comment')", ' * Date.now() in a doc comment']
    for (const line of fine)
      assert.ok(!FORBIDDEN.some(([p]) => p.test(code(line.startsWith(' *') ? `/*${line}*/` : line))), line)
  })
})
