import type { Group, NetnsPlan, Plan, SimRun } from './types.ts'

/**
 * The scale sweep, 10 … 10,000 members, about two sizes per decade. The largest sizes get shorter
 * windows and fewer seeds: at N = 10,000 every member holds 10,000 others (14 GB for the run, and
 * about two minutes to build those views before the window starts).
 */
const FULL_SCALE = [
  { nodes: 10, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
  { nodes: 30, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
  { nodes: 100, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
  { nodes: 300, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
  { nodes: 1000, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
  { nodes: 3000, seconds: 30, updateSeeds: 3, updateSeconds: 20 },
  { nodes: 10_000, seconds: 20, updateSeeds: 1, updateSeconds: 20 },
]
const LOSSES = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]

/**
 * What `npm run bench` runs. The full plan is the one the README's charts come from; `--quick`
 * keeps every chart but with fewer seeds, sizes and seconds (a smoke check under 3 minutes).
 * Seeds are `seed`, `seed + 1`, …: the same plan and seed give the same simulator figures.
 */
export function makePlan(quick: boolean, seed = 1): Plan {
  if (quick) {
    return {
      quick,
      seed,
      crash: { nodes: 50, seconds: 60, seeds: 10 },
      scale: [10, 100, 1000].map((nodes) => ({ nodes, seconds: 20, updateSeeds: 2, updateSeconds: 20 })),
      loss: { nodes: 30, seconds: 60, seeds: 1, losses: [0, 0.1, 0.2, 0.3] },
      cluster: { sizes: [5, 10], profile: 'lan', windowSeconds: 5 },
      netns: netnsPlan(true),
    }
  }
  return {
    quick,
    seed,
    crash: { nodes: 100, seconds: 60, seeds: 50 },
    scale: FULL_SCALE,
    loss: { nodes: 100, seconds: 200, seeds: 2, losses: LOSSES },
    cluster: { sizes: [5, 10, 30], profile: 'lan', windowSeconds: 20 },
    netns: netnsPlan(false),
  }
}

/**
 * The real-network part: 10 agents, lan profile. Full: 3 runs of each cut for 60 s, and a
 * 90 s window at each loss rate. Quick: one run of each cut for 30 s (a side still gets as long
 * as it needs to declare the other dead), 15 s windows. Each loss rate ends with one kill -9.
 */
export function netnsPlan(quick: boolean): NetnsPlan {
  return {
    nodes: 10,
    profile: 'lan',
    partition: { modes: ['silent', 'error'], runs: quick ? 1 : 3, cutSeconds: quick ? 30 : 60, healBoundSeconds: 120 },
    loss: { losses: [0, 0.1, 0.2], settleSeconds: 5, windowSeconds: quick ? 15 : 90 },
  }
}

export interface PlannedRun {
  group: Group
  run: SimRun
}

/** Every simulator run of a plan, largest first so the long runs do not end up last in the pool. */
export function simRuns(plan: Plan): PlannedRun[] {
  const out: PlannedRun[] = []
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => plan.seed + i)
  for (const seed of seeds(plan.crash.seeds)) {
    out.push({
      group: 'crash',
      run: { scenario: 'crash', nodes: plan.crash.nodes, seconds: plan.crash.seconds, loss: 0, seed },
    })
  }
  for (const s of plan.scale) {
    out.push({
      group: 'scale',
      run: { scenario: 'steady', nodes: s.nodes, seconds: s.seconds, loss: 0, seed: plan.seed },
    })
    for (const seed of seeds(s.updateSeeds)) {
      out.push({
        group: 'update',
        run: { scenario: 'update', nodes: s.nodes, seconds: s.updateSeconds, loss: 0, seed },
      })
    }
  }
  for (const loss of plan.loss.losses) {
    for (const lifeguard of [true, false]) {
      for (const seed of seeds(plan.loss.seeds)) {
        out.push({
          group: 'loss',
          run: { scenario: 'steady', nodes: plan.loss.nodes, seconds: plan.loss.seconds, loss, seed, lifeguard },
        })
      }
    }
  }
  return out.sort((a, b) => cost(b.run) - cost(a.run))
}

/**
 * A rough wall-time estimate, only used to start the longest runs first: each virtual second
 * costs about N·log N, and building every member's table about N² (10 s of warm-up included).
 */
export function cost(run: SimRun): number {
  return run.nodes * Math.log2(run.nodes + 1) * (run.seconds + 10) * (1 + run.loss * 10) + run.nodes * run.nodes * 0.02
}

/** The command-line arguments of the simulator benchmark for one run. */
export function simArgs(run: SimRun): string[] {
  const args = [
    '--nodes',
    String(run.nodes),
    '--seconds',
    String(run.seconds),
    '--loss',
    String(run.loss),
    '--scenario',
    run.scenario,
    '--seed',
    String(run.seed),
  ]
  if (run.profile !== undefined) args.push('--profile', run.profile)
  if (run.lifeguard === false) args.push('--no-lifeguard')
  return args
}
