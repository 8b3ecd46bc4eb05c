// Bundles the `murmur` command into dist/bundle/ (ESM, Node 22): bin.js plus chunks, so that a
// start reads a handful of files instead of ~1000 modules. The client commands load only the
// entry chunk; libp2p is in the chunks `murmur agent` imports when it runs (see
// commands/agent.ts). scripts/dev.sh runs this after `tsc -b`; it skips the work when no input
// changed since the last bundle (inputs from the previous run's metafile).
//
//   node packages/cli/scripts/bundle.mjs [--force]
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(pkg, 'dist', 'bundle')
const meta = join(outdir, 'meta.json')
const self = fileURLToPath(import.meta.url)

/** True when the last bundle is newer than every file it was built from, and than this script. */
function upToDate() {
  if (!existsSync(meta) || !existsSync(join(outdir, 'bin.js'))) return false
  const built = statSync(meta).mtimeMs
  let inputs
  try {
    inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs)
  } catch {
    return false
  }
  return [self, join(pkg, 'package.json'), ...inputs.map((f) => resolve(pkg, f))].every((f) => {
    try {
      return statSync(f).mtimeMs <= built
    } catch {
      return false
    }
  })
}

if (!process.argv.includes('--force') && upToDate()) process.exit(0)

// Files that code loads by URL next to itself (`new Worker(new URL('./worker-host.js',
// import.meta.url))` in @murmur/libp2p's worker mode) become entry points of their own, so that
// the URL, resolved from a chunk in dist/bundle/, finds them there.
const entryPoints = { bin: 'src/bin.ts' }
const workerHost = fileURLToPath(new URL('./worker-host.js', import.meta.resolve('@murmur/libp2p')))
if (existsSync(workerHost)) entryPoints['worker-host'] = workerHost

rmSync(outdir, { recursive: true, force: true })
const result = await build({
  absWorkingDir: pkg,
  entryPoints,
  outdir,
  bundle: true,
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // QUIC's native module is found by its loader relative to its own package (the per-platform
  // binary is an optional dependency beside it), which a chunk in dist/bundle/ is not: the package
  // stays outside the bundle, imported at run time (only by an agent with a QUIC address) from
  // this package's dependencies
  external: ['@chainsafe/libp2p-quic'],
  // some CommonJS dependencies (prom-client, cli-table3) require() Node built-ins: give ESM a require
  banner: {
    js: "import { createRequire as __murmurCreateRequire } from 'node:module'; const require = __murmurCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  // `murmur --version` without reading package.json at start (src/version.ts)
  define: { __MURMUR_VERSION__: JSON.stringify(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version) },
  metafile: true,
  logLevel: 'warning',
})
writeFileSync(meta, JSON.stringify(result.metafile))

// Every `new URL('./x.js', import.meta.url)` left in the output must name a file of the bundle.
const emitted = new Set(readdirSync(outdir))
for (const file of emitted) {
  if (!file.endsWith('.js')) continue
  for (const m of readFileSync(join(outdir, file), 'utf8').matchAll(
    /new URL\(\s*["']\.\/([^"']+)["'],\s*import\.meta\.url/g,
  )) {
    if (!emitted.has(m[1])) {
      rmSync(outdir, { recursive: true, force: true })
      console.error(
        `bundle: ${file} loads ./${m[1]} by URL, which is not in the bundle; add it to entryPoints in ${self}`,
      )
      process.exit(1)
    }
  }
}
