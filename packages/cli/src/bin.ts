#!/usr/bin/env node
import { main } from './main.ts'

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
