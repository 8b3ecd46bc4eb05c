/**
 * The report's real-network part: `murmur agent` processes each in a network namespace of its own
 * (test/fixtures/netns.ts, loaded from the test build), faults made with iptables inside those
 * namespaces. Two scenarios, each on a fresh cluster per run:
 *
 * - partition: the halves cut apart (silent: DROP on INPUT; error: DROP on INPUT and OUTPUT) for
 *   cutSeconds, then healed: detection, heal time, false verdicts (the fixture's runPartition).
 * - loss: every agent drops a fraction of the packets reaching its eth0 (`-m statistic --mode
 *   random`); a steady window counts suspicions and deaths (all false) and the traffic per agent,
 *   then one agent is killed with SIGKILL and the time until every other declares it dead is taken.
 *
 * Only the namespaces the fixture creates are touched; it removes them on teardown, exit and signals.
 */
import { execFile, spawnSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { type Profile, resolveConfig, suspicionTimeout } from '@murmur/core'
import { localDate } from './bench.ts'
import { mean, round } from './stats.ts'
import type {
  CutMode,
  LoadAverage,
  NetnsLossRun,
  NetnsPartitionRun,
  NetnsPlan,
  NetnsResults,
  NetnsTraffic,
} from './types.ts'

const run = promisify(execFile)

/** The parts of test/fixtures/netns.ts used here (it lives in the test build, loaded at run time). */
interface Seen {
  observer: number
  at: number
}
interface Agent {
  pid: number
  api: string
  exited: Promise<number | null>
}
export interface NetnsCluster {
  readonly lab: { readonly hosts: string[]; loss(i: number, p: number): Promise<void> }
  readonly agents: Agent[]
  all(): number[]
  state(observer: number, subject: number): string | undefined
  converged(group?: number[]): boolean
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<number>
  verdicts(kind: string, observers: number[], subjects: number[], since?: number): Seen[]
  teardown(): Promise<void>
}
interface PartitionResult {
  mode: CutMode
  cutMs: number
  detectMs: { first: number; last: number }
  firstContactMs: number | undefined
  healMs: number | undefined
  falseDeaths: { duringCut: number; afterHeal: number }
  falseSuspicions: { duringCut: number; afterHeal: number }
}
export interface Fixture {
  netnsUnsupported(): string | undefined
  NetnsCluster: { start(n: number, o: { profile: string; transport?: Transport }): Promise<NetnsCluster> }
  runPartition(c: NetnsCluster, o: Record<string, unknown>): Promise<PartitionResult>
}

/** What the agents listen on (NetnsClusterOptions.transport). */
export type Transport = 'tcp' | 'quic'

const FIXTURE = new URL('../../../test/dist/fixtures/netns.js', import.meta.url)

/** Loads the fixture from the test build (`tsc -b` builds it with everything else). */
export async function loadFixture(): Promise<Fixture> {
  return (await import(FIXTURE.href)) as Fixture
}

/** The profile's longest suspicion: suspicionMaxTimeoutMult × suspicionMult·max(1, log10 N)·T. */
export function maxSuspicionMs(profile: string, n: number): number {
  const c = resolveConfig({ profile: profile as Profile })
  return c.suspicionMaxTimeoutMult * suspicionTimeout(c.suspicionMult, n, c.probeIntervalMs)
}

/** Bound on a side declaring the other dead: the longest suspicion plus a probe round over everyone. */
export function detectBoundMs(profile: string, n: number): number {
  return maxSuspicionMs(profile, n) + n * resolveConfig({ profile: profile as Profile }).probeIntervalMs
}

/** One interface's counters from `ip -j -s link show dev <if>` (iproute2's JSON, stats64). */
export interface LinkCounters {
  rxBytes: number
  rxPackets: number
  txBytes: number
  txPackets: number
}

export function parseLinkStats(json: string): LinkCounters {
  const [link] = JSON.parse(json) as Array<{
    stats64?: { rx: { bytes: number; packets: number }; tx: { bytes: number; packets: number } }
  }>
  const s = link?.stats64
  if (s === undefined) throw new Error('no stats64 in `ip -j -s link` output')
  return { rxBytes: s.rx.bytes, rxPackets: s.rx.packets, txBytes: s.tx.bytes, txPackets: s.tx.packets }
}

interface Sample {
  at: number
  link: LinkCounters
  payload: { bytesIn: number; bytesOut: number; packetsOut: number }
}

/** GET /v1/info from inside the namespace (the control API listens on that namespace's 127.0.0.1). */
const INFO_SCRIPT =
  "fetch('http://'+process.argv[1]+'/v1/info').then(r=>r.text()).then(t=>process.stdout.write(t),e=>{console.error(e);process.exit(1)})"

async function sample(c: NetnsCluster, i: number): Promise<Sample> {
  const ns = c.lab.hosts[i]!
  const at = Date.now()
  const { stdout } = await run('ip', ['-n', ns, '-j', '-s', 'link', 'show', 'dev', 'eth0'])
  const info = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', INFO_SCRIPT, c.agents[i]!.api])
  const stats = (JSON.parse(info.stdout) as { stats: Sample['payload'] }).stats
  return { at, link: parseLinkStats(stdout), payload: stats }
}

/** Mean over agents of (after − before) / seconds between the two samples. */
export function trafficRates(before: Sample[], after: Sample[]): NetnsTraffic {
  const rate = (f: (s: Sample) => number) =>
    round(mean(before.map((b, i) => (f(after[i]!) - f(b)) / ((after[i]!.at - b.at) / 1000))), 1)
  return {
    wireTxBytes: rate((s) => s.link.txBytes),
    wireRxBytes: rate((s) => s.link.rxBytes),
    wireTxPackets: rate((s) => s.link.txPackets),
    wireRxPackets: rate((s) => s.link.rxPackets),
    payloadBytesOut: rate((s) => s.payload.bytesOut),
    payloadBytesIn: rate((s) => s.payload.bytesIn),
    payloadPacketsOut: rate((s) => s.payload.packetsOut),
  }
}

const load = (): LoadAverage => loadavg().map((x) => round(x, 2)) as LoadAverage

async function started(fixture: Fixture, plan: NetnsPlan, transport: Transport = 'tcp'): Promise<NetnsCluster> {
  const c = await fixture.NetnsCluster.start(plan.nodes, { profile: plan.profile, transport })
  try {
    await c.waitFor(() => c.converged(), 60_000, 'join convergence')
  } catch (err) {
    await c.teardown()
    throw err
  }
  return c
}

export async function partitionRun(
  fixture: Fixture,
  plan: NetnsPlan,
  mode: CutMode,
  runNo: number,
  log: (line: string) => void,
): Promise<NetnsPartitionRun> {
  const before = load()
  const c = await started(fixture, plan)
  const { nodes: n, profile } = plan
  const settleMs = maxSuspicionMs(profile, n)
  try {
    const cutMs = plan.partition.cutSeconds * 1000
    const r = await fixture.runPartition(c, {
      n,
      profile,
      mode,
      cutMs,
      detectBoundMs: Math.max(cutMs, detectBoundMs(profile, n)),
      healBoundMs: plan.partition.healBoundSeconds * 1000,
      // deaths after the heal are counted once a suspicion begun at the heal has run its course
      settleMs,
      log,
    })
    return {
      mode,
      run: runNo,
      nodes: n,
      profile,
      cutMs: r.cutMs,
      detectFirstMs: r.detectMs.first,
      detectLastMs: r.detectMs.last,
      firstContactMs: r.firstContactMs ?? null,
      healMs: r.healMs ?? null,
      falseDeaths: r.falseDeaths,
      falseSuspicions: r.falseSuspicions,
      settleMs,
      load: { before, after: load() },
    }
  } finally {
    await c.teardown()
  }
}

export async function lossRun(
  fixture: Fixture,
  plan: NetnsPlan,
  loss: number,
  log: (line: string) => void,
  transport: Transport = 'tcp',
): Promise<NetnsLossRun> {
  const before = load()
  const c = await started(fixture, plan, transport)
  const all = c.all()
  try {
    if (loss > 0) await Promise.all(all.map((i) => c.lab.loss(i, loss)))
    await sleep(plan.loss.settleSeconds * 1000)
    const windowStart = Date.now()
    const first = await Promise.all(all.map((i) => sample(c, i)))
    await sleep(plan.loss.windowSeconds * 1000)
    const last = await Promise.all(all.map((i) => sample(c, i)))
    const windowEnd = Date.now()
    const inWindow = (kind: string) => c.verdicts(kind, all, all, windowStart).filter((x) => x.at < windowEnd).length
    const suspicions = inWindow('suspect')
    const deaths = inWindow('dead')
    const traffic = trafficRates(first, last)
    log(
      `loss ${loss}: ${suspicions} suspicions, ${deaths} deaths in ${plan.loss.windowSeconds} s; ${JSON.stringify(traffic)}`,
    )

    const victim = all.length - 1
    const others = all.filter((i) => i !== victim)
    const killedAt = Date.now()
    process.kill(c.agents[victim]!.pid, 'SIGKILL')
    let fullDetectionMs: number | null = null
    try {
      const bound = detectBoundMs(plan.profile, plan.nodes) * 2
      fullDetectionMs =
        (await c.waitFor(
          () => others.every((o) => c.state(o, victim) === 'dead'),
          bound,
          'every survivor to declare the victim dead',
        )) - killedAt
    } catch (err) {
      log(`loss ${loss}: ${(err as Error).message.split('\n')[0]}`)
    }
    const firstOf = (kind: string) => {
      const times = c.verdicts(kind, others, [victim], killedAt).map((x) => x.at - killedAt)
      return times.length === 0 ? null : Math.min(...times)
    }
    const result: NetnsLossRun = {
      nodes: plan.nodes,
      profile: plan.profile,
      loss,
      windowSeconds: round((windowEnd - windowStart) / 1000, 1),
      suspicions,
      deaths,
      perNodePerSecond: traffic,
      firstSuspicionMs: firstOf('suspect'),
      firstDetectionMs: firstOf('dead'),
      fullDetectionMs,
      load: { before, after: load() },
    }
    log(`loss ${loss}: kill -9: first suspicion ${result.firstSuspicionMs} ms, all dead ${fullDetectionMs} ms`)
    return result
  } finally {
    await c.teardown()
  }
}

export interface NetnsRunOptions {
  log?: (line: string) => void
  /** Called after each run with what is done so far. */
  onRun?: (partial: NetnsResults) => void
  /** A failed run is recorded here and the others go on. */
  onFailure?: (what: string, err: Error) => void
  /** For tests: a fixture other than the test build's. */
  fixture?: Fixture
}

/** Every run of the plan, one after another (agents' timing needs the machine to themselves). */
export async function runNetns(plan: NetnsPlan, options: NetnsRunOptions = {}): Promise<NetnsResults> {
  const log = options.log ?? (() => {})
  const t0 = performance.now()
  const fixture = options.fixture ?? (await loadFixture())
  const out: NetnsResults = { plan, ...provenance(), wallSeconds: 0, partition: [], loss: [] }
  const snapshot = () => ({ ...out, wallSeconds: round((performance.now() - t0) / 1000, 1) })
  const skipped = fixture.netnsUnsupported()
  if (skipped !== undefined) return { ...snapshot(), skipped }
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn()
    } catch (err) {
      log(`${what}: FAILED ${(err as Error).message.split('\n')[0]}`)
      options.onFailure?.(what, err as Error)
    }
    options.onRun?.(snapshot())
  }
  for (const mode of plan.partition.modes) {
    for (let r = 1; r <= plan.partition.runs; r++) {
      const what = `netns partition ${mode} run ${r}/${plan.partition.runs}`
      log(`${what}: ${plan.nodes} agents, ${plan.profile}, cut ${plan.partition.cutSeconds} s, load ${load()[0]}`)
      await attempt(what, async () => {
        out.partition.push(await partitionRun(fixture, plan, mode, r, log))
      })
    }
  }
  for (const loss of plan.loss.losses) {
    const what = `netns loss ${loss}`
    log(`${what}: ${plan.nodes} agents, ${plan.loss.windowSeconds} s window then kill -9, load ${load()[0]}`)
    await attempt(what, async () => {
      out.loss.push(await lossRun(fixture, plan, loss, log))
    })
  }
  return snapshot()
}

/** When and on what a run happened: local date, HEAD, and whether packages/ had uncommitted changes. */
export function provenance(): Pick<NetnsResults, 'date' | 'commit' | 'dirty'> {
  const git = (...args: string[]) => spawnSync('git', args, { encoding: 'utf8' })
  const head = git('rev-parse', '--short', 'HEAD')
  const status = git('status', '--porcelain', '--', 'packages')
  return {
    date: localDate(new Date()),
    commit: head.status === 0 ? head.stdout.trim() : null,
    dirty: status.status === 0 && status.stdout.trim() !== '',
  }
}
