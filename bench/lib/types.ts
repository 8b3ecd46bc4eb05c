/**
 * The data the benchmark report is built from. `SimResult` is the contract of the simulator
 * benchmark (`bench/sim.ts`: one JSON object per run on stdout); `ClusterResult` is what
 * `bench/cluster.ts` measures on real agents; `Results` is what `results.json` holds.
 */

export type Scenario = 'steady' | 'crash' | 'update' | 'pause'

/** The experiment a simulator run belongs to, i.e. the chart it feeds. */
export type Group = 'crash' | 'scale' | 'update' | 'loss'

/** The arguments of one `node bench/dist/sim.js` run. */
export interface SimRun {
  nodes: number
  seconds: number
  loss: number
  scenario: Scenario
  seed: number
  profile?: string
  lifeguard?: boolean
}

/** One simulator run's output (fields that do not apply to a scenario are null). */
export interface SimResult {
  nodes: number
  scenario: Scenario
  loss: number
  seed: number
  virtualSeconds: number
  wallSeconds: number
  profile: string
  lifeguard: boolean
  firstDetectionMs: number | null
  fullDetectionMs: number | null
  falseSuspicions: number
  falseDeaths: number
  messagesPerMemberPerSecond: number
  bytesPerMemberPerSecond: number
  disseminationP50Ms: number | null
  disseminationP99Ms: number | null
  maxHeapMB: number
  /** Packet vs push-pull (anti-entropy) bytes; optional detail of bytesPerMemberPerSecond. */
  packetBytesPerMemberPerSecond?: number
  syncBytesPerMemberPerSecond?: number
  /** Which experiment ran it: added by the report, not printed by the simulator. */
  group?: Group
}

/** One real-cluster measurement: N spawned `murmur agent` processes on 127.0.0.1. */
export interface ClusterResult {
  nodes: number
  profile: string
  /** From spawning the joiners to the last of them printing `ready` (process start-up). */
  startupMs: number
  /** From the last `ready` to every agent seeing every other one alive. */
  joinConvergenceMs: number
  /** Steady-state window the per-agent figures below were measured over. */
  windowSeconds: number
  /** Mean and max CPU use of one agent over the window, in % of one core. */
  cpuPercentMean: number
  cpuPercentMax: number
  /** Resident memory of one agent at the end of the window (VmRSS). */
  rssMBMean: number
  rssMBMax: number
  /** Membership bytes sent / received per agent per second (engine counters, before Noise/Yamux framing). */
  bytesOutPerNodePerSecond: number
  bytesInPerNodePerSecond: number
  /** Membership packets sent per agent per second. */
  messagesPerNodePerSecond: number
  /** After SIGKILL of one agent: first survivor to suspect it, first and last survivor to declare it dead. */
  firstSuspicionMs: number | null
  firstDetectionMs: number | null
  fullDetectionMs: number | null
}

/** A run that did not produce a result, kept so the report can say what is missing. */
export interface Failure {
  what: string
  error: string
}

/** How the runs were chosen; stored with the results so a report can describe them. */
export interface Plan {
  quick: boolean
  seed: number
  crash: { nodes: number; seconds: number; seeds: number }
  /** Per cluster size: a steady run of `seconds`, and `updateSeeds` update runs of `updateSeconds`. */
  scale: Array<{ nodes: number; seconds: number; updateSeeds: number; updateSeconds: number }>
  loss: { nodes: number; seconds: number; seeds: number; losses: number[] }
  cluster: { sizes: number[]; profile: string; windowSeconds: number }
}

export interface Environment {
  date: string
  commit: string | null
  node: string
  cpus: string
  cores: number
  memoryGB: number
  platform: string
}

export interface Results {
  version: 1
  environment: Environment
  plan: Plan
  /** Wall time of the whole benchmark run. */
  wallSeconds: number
  sim: SimResult[]
  cluster: ClusterResult[]
  failures: Failure[]
}
