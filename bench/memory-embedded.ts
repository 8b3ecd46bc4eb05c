/**
 * K libp2p nodes in this one process, all connected to each other, then a steady window, then
 * this process's memory after a full GC. The memory benchmark (bench/memory.ts) runs it once per
 * variant, each in a fresh process so that the variants share no heap:
 * - `libp2p`: bare nodes (bench/lib/bare-libp2p.ts, createNode's libp2p without Murmur), every
 *   pair dialled once;
 * - `murmur`: createMurmurNode() nodes (lan profile), K-1 joined through the first; waits until
 *   every node sees every other alive (SWIM then connects each pair as it probes).
 *
 *   node --expose-gc bench/dist/memory-embedded.js --variant libp2p|murmur [--nodes 20] [--window 60]
 *
 * Prints one JSON object (EmbeddedResult) on stdout; progress on stderr.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import type { Libp2p } from '@libp2p/interface'
import { createMurmurNode } from '@murmur/libp2p'
import { createBareNode, peersConnected } from './lib/bare-libp2p.ts'
import { fullGc, type MemoryReading, memoryReading } from './lib/memory-reading.ts'
import { pool } from './lib/runner.ts'
import { quantile, round } from './lib/stats.ts'

export type Variant = 'libp2p' | 'murmur'

export interface EmbeddedResult {
  variant: Variant
  nodes: number
  /** From the first node's start until every node is connected (libp2p) or sees all alive (murmur). */
  setupMs: number
  windowSeconds: number
  /** Remote peers each node holds a connection to at the end of the window. */
  peers: { median: number; min: number; max: number }
  /** Every 10 s of the window, without forcing a GC (MB). */
  samples: Array<{ atS: number; rssMB: number; heapUsedMB: number }>
  /** At the end of the window, before and after a full GC. */
  end: MemoryReading
  afterGc: MemoryReading
}

const JOIN_ATTEMPTS = 5
const SETUP_TIMEOUT_MS = 180_000
const MB = 2 ** 20

async function startLibp2p(k: number): Promise<Libp2p[]> {
  const nodes: Libp2p[] = []
  for (let i = 0; i < k; i++) nodes.push(await createBareNode())
  const pairs = nodes.flatMap((a, i) => nodes.slice(i + 1).map((b) => [a, b] as const))
  const dialed = await pool(pairs, ([a, b]) => a.dial(b.getMultiaddrs(), { signal: AbortSignal.timeout(10_000) }), {
    concurrency: 4,
  })
  const failed = dialed.filter((r) => r.status === 'rejected').length
  if (failed > 0) process.stderr.write(`memory-embedded: ${failed} of ${pairs.length} dials failed\n`)
  return nodes
}

async function startMurmur(k: number): Promise<Libp2p[]> {
  const nodes = [await createMurmurNode({ membership: { profile: 'lan' } })]
  for (let i = 1; i < k; i++) nodes.push(await createMurmurNode({ membership: { profile: 'lan' } }))
  const seed = nodes[0].getMultiaddrs().map((a) => a.toString())
  const joined = await pool(
    nodes.slice(1),
    async (n) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await n.services.membership.join(seed, { signal: AbortSignal.timeout(10_000) })
        } catch (err) {
          if (attempt >= JOIN_ATTEMPTS) throw err
        }
      }
    },
    { concurrency: 4 },
  )
  const failed = joined.find((r) => r.status === 'rejected')
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
  const t0 = performance.now()
  const allAlive = () =>
    nodes.every((n) => n.services.membership.members().filter((m) => m.state === 'alive').length === k)
  while (!allAlive()) {
    if (performance.now() - t0 > SETUP_TIMEOUT_MS) throw new Error(`no convergence within ${SETUP_TIMEOUT_MS} ms`)
    await sleep(250)
  }
  return nodes
}

export async function runEmbedded(variant: Variant, k: number, windowSeconds: number): Promise<EmbeddedResult> {
  const t0 = performance.now()
  const nodes = variant === 'murmur' ? await startMurmur(k) : await startLibp2p(k)
  const setupMs = performance.now() - t0
  process.stderr.write(`memory-embedded: ${variant}, ${k} nodes set up in ${round(setupMs / 1000, 1)} s\n`)
  try {
    const samples: EmbeddedResult['samples'] = []
    for (let t = 0; t < windowSeconds; t += 10) {
      await sleep(Math.min(10, windowSeconds - t) * 1000)
      const m = process.memoryUsage()
      samples.push({
        atS: Math.min(t + 10, windowSeconds),
        rssMB: round(m.rss / MB, 1),
        heapUsedMB: round(m.heapUsed / MB, 1),
      })
    }
    const peers = nodes.map((n) => peersConnected(n))
    const end = memoryReading()
    if (!fullGc()) throw new Error('run with --expose-gc: the heap is measured after a full GC')
    return {
      variant,
      nodes: k,
      setupMs: round(setupMs, 0),
      windowSeconds,
      peers: { median: quantile(peers, 0.5), min: Math.min(...peers), max: Math.max(...peers) },
      samples,
      end,
      afterGc: memoryReading(),
    }
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()))
  }
}

const USAGE =
  'usage: node --expose-gc bench/dist/memory-embedded.js --variant libp2p|murmur [--nodes K (2..200, default 20)] [--window S (default 60)]'

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { variant: { type: 'string' }, nodes: { type: 'string' }, window: { type: 'string' } },
  })
  const k = Number(values.nodes ?? 20)
  const windowSeconds = Number(values.window ?? 60)
  if ((values.variant !== 'libp2p' && values.variant !== 'murmur') || !Number.isInteger(k) || k < 2 || k > 200) {
    process.stderr.write(`${USAGE}\n`)
    return 2
  }
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
    process.stderr.write(`memory-embedded: --window takes a positive integer\n${USAGE}\n`)
    return 2
  }
  const result = await runEmbedded(values.variant, k, windowSeconds)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

main(process.argv.slice(2)).then(
  // exit at once: stopped nodes may leave sockets closing in the background
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`memory-embedded: ${(err as Error).stack ?? err}\n`)
    process.exit(1)
  },
)
