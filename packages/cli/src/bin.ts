#!/usr/bin/env node
import { main } from './main.ts'

const controller = new AbortController()
process.once('SIGINT', () => controller.abort())
main(process.argv, undefined, controller.signal).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`murmur: ${(err as Error).message}\n`)
    process.exit(1)
  },
)
