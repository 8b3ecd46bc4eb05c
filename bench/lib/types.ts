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
  /** The real-network part (agents in network namespaces); absent in plans older than it. */
  netns?: NetnsPlan
}

export type CutMode = 'silent' | 'error'

/** Agents in network namespaces (test/fixtures/netns.ts): partitions, and packet loss with a crash. */
export interface NetnsPlan {
  nodes: number
  profile: 'lan' | 'wan' | 'local'
  partition: {
    modes: CutMode[]
    /** Runs per mode, each on a fresh cluster. */
    runs: number
    /** How long the halves stay cut (longer when a side needs longer to declare the other dead). */
    cutSeconds: number
    /** Deadline for one view everywhere after the heal. */
    healBoundSeconds: number
  }
  loss: {
    /** Probability that a packet arriving at an agent's interface is dropped (iptables statistic). */
    losses: number[]
    /** From loss in place to the start of the window. */
    settleSeconds: number
    /** Steady window for suspicions, deaths, wire and payload bytes. */
    windowSeconds: number
  }
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
  /** The real-network part; absent when it was not asked for (or the results predate it). */
  netns?: NetnsResults
  failures: Failure[]
}

/** `os.loadavg()` (1, 5 and 15 minutes), as `uptime` prints it. */
export type LoadAverage = [number, number, number]

/** One partition run: each half cut off from the other, then healed (test/fixtures/netns.ts runPartition). */
export interface NetnsPartitionRun {
  mode: CutMode
  run: number
  nodes: number
  profile: string
  cutMs: number
  /** From the cut until each agent of a side saw each of the other side dead: first and last pair. */
  detectFirstMs: number
  detectLastMs: number
  /** From the heal until an agent first saw a member of the other side alive again. */
  firstContactMs: number | null
  /** From the heal until every agent saw every agent alive (null: not within the heal bound). */
  healMs: number | null
  /** Verdicts about a member of one's own side (every one false): during the cut, after the heal. */
  falseDeaths: { duringCut: number; afterHeal: number }
  falseSuspicions: { duringCut: number; afterHeal: number }
  /** How long verdicts were still counted after one view (the longest suspicion). */
  settleMs: number
  load: { before: LoadAverage; after: LoadAverage }
}

/** Rates per agent per second over the steady window, mean over the agents. */
export interface NetnsTraffic {
  /** IP traffic: the agent's eth0 counters (`ip -s link`), Ethernet frames with every header. */
  wireTxBytes: number
  wireRxBytes: number
  wireTxPackets: number
  wireRxPackets: number
  /** The engine's own counters (GET /v1/info stats): membership messages before Noise/Yamux framing. */
  payloadBytesOut: number
  payloadBytesIn: number
  payloadPacketsOut: number
}

/** One loss run: steady window under loss (nobody fails), then kill -9 of one agent. */
export interface NetnsLossRun {
  nodes: number
  profile: string
  loss: number
  windowSeconds: number
  /** member:suspect and member:dead events during the window (all false: nobody failed). */
  suspicions: number
  deaths: number
  perNodePerSecond: NetnsTraffic
  /** After kill -9: first survivor to suspect it, first and last survivor to declare it dead. */
  firstSuspicionMs: number | null
  firstDetectionMs: number | null
  fullDetectionMs: number | null
  load: { before: LoadAverage; after: LoadAverage }
}

export interface NetnsResults {
  /** Why the part did not run (not root, no iptables, ...); the runs are then empty. */
  skipped?: string
  plan: NetnsPlan
  /** When it ran (local date) and on what: the part can be run alone, so it keeps its own record. */
  date: string
  commit: string | null
  /** The working tree had uncommitted changes under packages/ (the agents ran them). */
  dirty: boolean
  wallSeconds: number
  partition: NetnsPartitionRun[]
  loss: NetnsLossRun[]
}
