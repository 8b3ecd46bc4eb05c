import type { Plan, SimRun } from './types.ts'

/** Cluster sizes of the scale sweeps: 10 … 10,000, about three per decade. */
const FULL_SIZES = [10, 30, 100, 300, 1000, 3000, 10_000]
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
      scale: { sizes: [10, 100, 1000], seconds: 20, updateSeeds: 2, updateSeconds: 20 },
      loss: { nodes: 30, seconds: 60, seeds: 1, losses: [0, 0.1, 0.2, 0.3] },
      cluster: { sizes: [5, 10], profile: 'lan', windowSeconds: 5 },
    }
  }
  return {
    quick,
    seed,
    crash: { nodes: 100, seconds: 90, seeds: 50 },
    scale: { sizes: FULL_SIZES, seconds: 60, updateSeeds: 5, updateSeconds: 30 },
    loss: { nodes: 100, seconds: 300, seeds: 3, losses: LOSSES },
    cluster: { sizes: [5, 10, 30], profile: 'lan', windowSeconds: 20 },
  }
}

/** The experiment a simulator run belongs to (which chart it feeds). */
export type Group = 'crash' | 'scale' | 'update' | 'loss'

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
  for (const nodes of plan.scale.sizes) {
    out.push({
      group: 'scale',
      run: { scenario: 'steady', nodes, seconds: plan.scale.seconds, loss: 0, seed: plan.seed },
    })
    for (const seed of seeds(plan.scale.updateSeeds)) {
      out.push({
        group: 'update',
        run: { scenario: 'update', nodes, seconds: plan.scale.updateSeconds, loss: 0, seed },
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

/** A rough cost estimate (member-seconds of virtual time), only used to order the pool. */
export function cost(run: SimRun): number {
  return run.nodes * run.seconds
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
