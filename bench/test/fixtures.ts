import { existsSync } from 'node:fs'
import { runBenchmarks } from '../lib/bench.ts'
import { SIM_BIN } from '../lib/runner.ts'
import type { ClusterResult, Plan, Results } from '../lib/types.ts'

/** A plan small enough for a unit test: ten simulator runs of 10–20 members, no real cluster. */
export const TINY_PLAN: Plan = {
  quick: true,
  seed: 7,
  crash: { nodes: 10, seconds: 40, seeds: 2 },
  scale: [10, 20].map((nodes) => ({ nodes, seconds: 10, updateSeeds: 1, updateSeconds: 10 })),
  loss: { nodes: 10, seconds: 30, seeds: 1, losses: [0, 0.1] },
  cluster: { sizes: [], profile: 'lan', windowSeconds: 1 },
}

/**
 * Fixed real-cluster figures, so the report's cluster charts can be checked without spawning
 * agents here (cluster.spec.ts measures a real one). Not measurements: shapes only.
 */
export const CLUSTER_FIXTURE: ClusterResult[] = [5, 10].map((nodes) => ({
  nodes,
  profile: 'lan',
  startupMs: 900 * nodes,
  joinConvergenceMs: 700,
  windowSeconds: 1,
  cpuPercentMean: 1.5,
  cpuPercentMax: 2,
  rssMBMean: 80,
  rssMBMax: 85,
  bytesOutPerNodePerSecond: 1000,
  bytesInPerNodePerSecond: 990,
  messagesPerNodePerSecond: 10,
  firstSuspicionMs: 1200,
  firstDetectionMs: 7000,
  fullDetectionMs: 7500,
}))

let tiny: Promise<Results> | undefined

/** The tiny plan's results, run once per test process (each simulator run is a child process). */
export function tinyResults(): Promise<Results> {
  tiny ??= runBenchmarks(TINY_PLAN, { cluster: false, jobs: 2 }).then((r) => ({ ...r, cluster: CLUSTER_FIXTURE }))
  return tiny
}

export const simBuilt = () => existsSync(SIM_BIN)
