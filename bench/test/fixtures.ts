import { existsSync } from 'node:fs'
import { runBenchmarks } from '../lib/bench.ts'
import { netnsPlan } from '../lib/plan.ts'
import { SIM_BIN } from '../lib/runner.ts'
import type { ClusterResult, NetnsResults, Plan, Results } from '../lib/types.ts'

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

const LOAD = { before: [1.5, 2, 2] as [number, number, number], after: [3.5, 2.5, 2] as [number, number, number] }

/** Fixed real-network figures (not measurements: shapes only), as a full `--only netns` run stores them. */
export const NETNS_FIXTURE: NetnsResults = {
  plan: netnsPlan(false),
  date: '2026-11-30',
  commit: 'abc1234',
  dirty: false,
  wallSeconds: 1200,
  partition: (['silent', 'error'] as const).flatMap((mode) =>
    [20_000, 30_000, null].map((healMs, k) => ({
      mode,
      run: k + 1,
      nodes: 10,
      profile: 'lan',
      cutMs: 60_000,
      detectFirstMs: 9000,
      detectLastMs: 12_000 + k * 1000,
      firstContactMs: healMs === null ? null : 1500,
      healMs,
      falseDeaths: { duringCut: 0, afterHeal: k === 2 ? 1 : 0 },
      falseSuspicions: { duringCut: 0, afterHeal: k },
      settleMs: 24_000,
      load: LOAD,
    })),
  ),
  loss: [0.2, 0, 0.1].map((loss) => ({
    nodes: 10,
    profile: 'lan',
    loss,
    windowSeconds: 90,
    suspicions: Math.round(loss * 50),
    deaths: 0,
    perNodePerSecond: {
      wireTxBytes: 200 + loss * 500,
      wireRxBytes: 190 + loss * 500,
      wireTxPackets: 3 + loss * 10,
      wireRxPackets: 3 + loss * 10,
      payloadBytesOut: 70,
      payloadBytesIn: 69,
      payloadPacketsOut: 2,
    },
    firstSuspicionMs: 1500,
    firstDetectionMs: 6000 + loss * 10_000,
    fullDetectionMs: 6500 + loss * 10_000,
    load: LOAD,
  })),
}
