import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

// The compiled spec runs from dist/test; the sources are two levels up.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url))

function sources(dir: string = SRC): Array<{ file: string; text: string }> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') ? [{ file: relative(SRC, path), text: readFileSync(path, 'utf8') }] : []
  })
}

/** Occurrences of `pattern` per file, comments included (a rule that bends for comments is no rule). */
function hits(pattern: RegExp): string[] {
  return sources().flatMap(({ file, text }) => (text.match(pattern) ?? []).map(() => file))
}

/**
 * The packages and source files `file` loads when it is loaded: its static imports (`import type`
 * and `import('...')` excluded), followed through relative imports.
 */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  const text = readFileSync(join(SRC, file), 'utf8')
  for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1]
    if (spec.startsWith('.')) staticImports(relative(SRC, join(SRC, dirname(file), spec)), seen)
    else seen.add(spec)
  }
  return seen
}

describe('murmur: CLI structure (house style section 4)', () => {
  it('--help and the client commands load no libp2p: only the agent imports it, when it runs', () => {
    const loaded = [...staticImports('main.ts')]
    assert.deepEqual(
      loaded.filter((s) => /^@libp2p\/|^@murmur\/libp2p|^@chainsafe\/|^libp2p$|^prom-client$|^agent\.ts$/.test(s)),
      [],
    )
    // the self-check: the agent's own module does import libp2p statically
    assert.ok(staticImports('agent.ts').has('@murmur/libp2p'))
    assert.ok(loaded.includes('commands/agent.ts') && loaded.includes('@commander-js/extra-typings'))
  })

  it('only bin.ts calls process.exit', () => {
    assert.deepEqual(
      hits(/process\.exit\(/g).filter((f) => f !== 'bin.ts'),
      [],
    )
  })

  it('defines --api once, in commands/common.ts', () => {
    assert.deepEqual(hits(/'--api </g), ['commands/common.ts'])
  })

  it('names its durations: 30_000 appears only where a constant is declared', () => {
    assert.deepEqual(
      hits(/\b30_?000\b/g).filter((f) => f !== 'constants.ts' && f !== 'handler.ts'),
      [],
    )
  })

  it('has one make<Name>Command() per file under commands/', () => {
    for (const { file, text } of sources(join(SRC, 'commands'))) {
      assert.ok((text.match(/export function make\w+Command\(/g) ?? []).length <= 1, file)
    }
  })

  it('the self-check catches a violation (it reads real sources)', () => {
    assert.ok(hits(/process\.exit\(/g).includes('bin.ts'))
  })
})
