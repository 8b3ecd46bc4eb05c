#!/usr/bin/env node
import module from 'node:module'

// Node's on-disk compile cache (os.tmpdir()/node-compile-cache, or $NODE_COMPILE_CACHE): later
// starts skip compiling the modules loaded below. It never throws; an unwritable directory only
// leaves it off. Enabled before main is imported, so that main and its imports are cached.
module.enableCompileCache?.()
const { main } = await import('./main.ts')

// The only place that exits the process: main() resolves to the exit code, or rejects with an
// error that may carry `exitCode` (CliError does).
const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
main(process.argv, undefined, controller.signal).then(
  (code) => process.exit(code),
  (err: Error & { exitCode?: unknown }) => {
    process.stderr.write(`murmur: ${err.message}\n`)
    process.exit(typeof err.exitCode === 'number' ? err.exitCode : 1)
  },
)
