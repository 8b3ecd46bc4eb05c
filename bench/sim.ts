/**
 * The simulator benchmark: N core engines on one SimNetwork, in virtual time, seeded (a run is
 * replayed exactly from its flags). One scenario per run; one JSON object on stdout, progress on
 * stderr. `npm run bench:sim -- --help` lists the flags.
 *
 * A run has four phases:
 * 1. bootstrap: every node gets the full view. `restore` (the default) hands every node the same
 *    N alive claims through `Membership.restore()`, without gossip: O(N^2) table inserts and no
 *    traffic. `join` is the real thing, every node joining through three seeds, then running
 *    until every view is full: measured, but slow and storm-prone at large N.
 * 2. start: every engine starts (their loops begin at random offsets, as memberlist's do).
 * 3. warm-up (--warmup, default 10 virtual s): the start-up announcements die down; the loss
 *    rate already applies.
 * 4. the window (--seconds): the scenario happens at its start; traffic is measured over it.
 *
 * What the figures mean:
 * - messagesPerMemberPerSecond: best-effort packets sent, plus push-pull requests and responses,
 *   over the window, per member (crashed ones included), per virtual second.
 * - bytesPerMemberPerSecond: the bytes of the same (packets + push-pull state both ways).
 * - falseSuspicions / falseDeaths: distinct (member, incarnation) pairs that some node suspected /
 *   declared dead, about members that were never crashed or paused, from warm-up to the end. For
 *   `pause`, a pause shorter than the shortest suspicion timeout (`suspicionMinMs`, the default
 *   pause is half of it) must not kill the paused member either, so its deaths count as false
 *   too (`pausedDeaths` shows them alone). The paused member's own suspicions are expected and
 *   counted apart (`pausedSuspicions`); the suspicions it raises itself on waking, when its held
 *   probe timers all fire at once, are false suspicions like any other.
 * - stalls: --stall-fraction of the members (default 10%) each stall --stall-ms (default 2 s)
 *   every --stall-every ms (default 30 s), at a random phase, as a blocked event loop does: the
 *   node runs nothing, then its timers fire late, before it reads the packets that arrived
 *   (SimNetwork.stall). Suspicions of a stalling member are counted apart (`stalledSuspicions`:
 *   a stall past the probe timeout cannot be told from a failure by others); any death is false
 *   (a stall shorter than the shortest suspicion timeout must kill nobody). Run it with and
 *   without --no-stall-awareness to see what the engine's stall awareness buys;
 *   `inconclusiveProbes` and `stallsNoticed` are the engine's own counters, summed.
 * - firstDetectionMs / fullDetectionMs (crash): from the crash to the first / the last survivor
 *   marking the crashed member dead; fullDetectionMs is null unless every survivor did within
 *   the window. detectionBoundMs = max suspicion timeout + 5 probe intervals.
 * - disseminationP50Ms / P99Ms (update): a member changes its metadata every --update-every ms
 *   during the window; for every (change, other member) pair, the time until that member's table
 *   has it. disseminationFullMaxMs: the slowest change to reach every member.
 * - wallSeconds / cpuSeconds: wall time and CPU time (user + system, all threads, GC included)
 *   of the window alone; bootstrapWallSeconds and totalWallSeconds are reported apart.
 * - maxHeapMB / maxRssMB: the largest V8 heap use and resident size seen (sampled every virtual
 *   second and after bootstrap). Large N needs a larger heap: the benchmark sizes its own (see
 *   heapNeededMB) by running itself again with --max-old-space-size when Node's limit is lower.
 */
import { spawnSync } from 'node:child_process'
import { totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import {
  DEFAULTS,
  fnvDigest,
  type Member,
  type Membership,
  PROFILES,
  type Profile,
  type Random,
  resolveConfig,
  seededRandom,
  suspicionTimeout,
  type Update,
} from '@murmur/core'
import { SimNetwork } from '@murmur/core/testing'
import { Kind } from '@murmur/core/wire'

const SCENARIOS = ['steady', 'crash', 'update', 'pause', 'stalls', 'reports'] as const
type Scenario = (typeof SCENARIOS)[number]
const BOOTSTRAPS = ['restore', 'join'] as const
type Bootstrap = (typeof BOOTSTRAPS)[number]

const USAGE = `usage: npm run bench:sim -- [options]

  --nodes <n>          cluster size, >= 2 (default 100)
  --seconds <s>        measured window, virtual seconds (default 60)
  --loss <p>           packet loss probability in [0, 1) (default 0)
  --scenario <name>    steady | crash | update | pause | stalls (default steady)
  --seed <n>           seed of every random choice (default 1)
  --profile <name>     lan | wan | local (default lan)
  --no-lifeguard       plain SWIM: no local health, no nacks, fixed suspicion timeout
  --warmup <s>         virtual seconds before the window (default 10)
  --pause-ms <ms>      pause scenario: pause length (default: half the shortest suspicion timeout)
  --update-every <ms>  update scenario: time between metadata changes (default 5000)
  --stall-fraction <p> stalls scenario: fraction of members that stall (default 0.1)
  --stall-ms <ms>      stalls scenario: length of one stall (default 2000)
  --stall-every <ms>   stalls scenario: time between a member's stalls (default 30000)
  --report-bytes <n>   reports scenario: every member's report size (default 32768); 0: small
                       metadata (64 bytes, in the alive claim) changes instead, the baseline
  --report-every <ms>  reports scenario: time between one member's report changes (default 60000)
  --no-stall-awareness the engine's stall awareness off (config stallAwareness false)
  --bootstrap <how>    restore | join (default restore)
  --latency-ms <ms>    one-way latency (default 1), plus --jitter-ms <ms> random (default 1)
  --connections        model connections (libp2p over TCP): handshakes counted, set-up delay
  --budget <n>         with --connections: connections a node keeps at most (default unbounded)
  --setup-ms <ms>      with --connections: set-up delay of a new connection (default 10)
  --handshake-cpu-ms <ms> with --connections: CPU of one end of a handshake (default 3)
  --probe-rings <k>    probe each node's successors on k rings instead of every member (config
                       probeRings; default 0)
  -h, --help           this text`

class UsageError extends Error {
  override name = 'UsageError'
}

export interface Options {
  nodes: number
  seconds: number
  loss: number
  scenario: Scenario
  seed: number
  profile: Profile
  lifeguard: boolean
  warmup: number
  pauseMs: number | undefined
  updateEvery: number
  stallFraction: number
  stallMs: number
  stallEvery: number
  stallAwareness: boolean
  reportBytes: number
  reportEvery: number
  bootstrap: Bootstrap
  latencyMs: number
  jitterMs: number
  /** SimOptions.connections, or undefined for free packets (UDP). */
  connections: { budget: number; setupMs: number; cpuMs: number } | undefined
  probeRings: number
}

function number(
  flag: string,
  raw: string | undefined,
  fallback: number,
  ok: (n: number) => boolean,
  what: string,
): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (raw.trim() === '' || !Number.isFinite(n) || !ok(n))
    throw new UsageError(`--${flag} must be ${what}, got "${raw}"`)
  return n
}

function oneOf<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback
  if (!allowed.includes(raw as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${raw}"`)
  return raw as T
}

/** Parses the flags; throws UsageError with a message fit for the user. Returns undefined for --help. */
export function parseOptions(argv: string[]): Options | undefined {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' },
        seconds: { type: 'string' },
        loss: { type: 'string' },
        scenario: { type: 'string' },
        seed: { type: 'string' },
        profile: { type: 'string' },
        'no-lifeguard': { type: 'boolean' },
        warmup: { type: 'string' },
        'pause-ms': { type: 'string' },
        'update-every': { type: 'string' },
        'stall-fraction': { type: 'string' },
        'stall-ms': { type: 'string' },
        'stall-every': { type: 'string' },
        'no-stall-awareness': { type: 'boolean' },
        'report-bytes': { type: 'string' },
        'report-every': { type: 'string' },
        bootstrap: { type: 'string' },
        'latency-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        connections: { type: 'boolean' },
        budget: { type: 'string' },
        'setup-ms': { type: 'string' },
        'handshake-cpu-ms': { type: 'string' },
        'probe-rings': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help === true) return undefined
  const s = (k: string) => values[k] as string | undefined
  const int = (n: number) => Number.isInteger(n)
  return {
    nodes: number('nodes', s('nodes'), 100, (n) => int(n) && n >= 2, 'an integer >= 2'),
    seconds: number('seconds', s('seconds'), 60, (n) => n > 0, 'a number > 0'),
    loss: number('loss', s('loss'), 0, (n) => n >= 0 && n < 1, 'a probability in [0, 1)'),
    scenario: oneOf('scenario', s('scenario'), SCENARIOS, 'steady'),
    seed: number('seed', s('seed'), 1, (n) => int(n) && n >= 0, 'an integer >= 0'),
    profile: oneOf('profile', s('profile'), PROFILES, 'lan'),
    lifeguard: values['no-lifeguard'] !== true,
    warmup: number('warmup', s('warmup'), 10, (n) => n >= 0, 'a number >= 0'),
    pauseMs:
      s('pause-ms') === undefined
        ? undefined
        : number('pause-ms', s('pause-ms'), 0, (n) => n > 0, 'a number of ms > 0'),
    updateEvery: number('update-every', s('update-every'), 5000, (n) => n > 0, 'a number of ms > 0'),
    stallFraction: number('stall-fraction', s('stall-fraction'), 0.1, (n) => n > 0 && n <= 1, 'a fraction in (0, 1]'),
    stallMs: number('stall-ms', s('stall-ms'), 2000, (n) => n > 0, 'a number of ms > 0'),
    stallEvery: number('stall-every', s('stall-every'), 30_000, (n) => n > 0, 'a number of ms > 0'),
    stallAwareness: values['no-stall-awareness'] !== true,
    reportBytes: number('report-bytes', s('report-bytes'), 32768, (n) => int(n) && n >= 0, 'an integer >= 0'),
    reportEvery: number('report-every', s('report-every'), 60_000, (n) => n > 0, 'a number of ms > 0'),
    bootstrap: oneOf('bootstrap', s('bootstrap'), BOOTSTRAPS, 'restore'),
    latencyMs: number('latency-ms', s('latency-ms'), 1, (n) => n >= 0, 'a number >= 0'),
    jitterMs: number('jitter-ms', s('jitter-ms'), 1, (n) => n >= 0, 'a number >= 0'),
    connections:
      values.connections === true || s('budget') !== undefined
        ? {
            budget: number('budget', s('budget'), Infinity, (n) => int(n) && n >= 1, 'an integer >= 1'),
            setupMs: number('setup-ms', s('setup-ms'), 10, (n) => n >= 0, 'a number of ms >= 0'),
            cpuMs: number('handshake-cpu-ms', s('handshake-cpu-ms'), 3, (n) => n >= 0, 'a number of ms >= 0'),
          }
        : undefined,
    probeRings: number('probe-rings', s('probe-rings'), 0, (n) => int(n) && n >= 0 && n <= 32, 'an integer in [0, 32]'),
  }
}

const EMPTY = new Uint8Array(0)
const progress = (msg: string) => process.stderr.write(`sim: ${msg}\n`)

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits

/** Peak memory, sampled by the driver. */
class Memory {
  heap = 0
  rss = 0
  sample(): void {
    const m = process.memoryUsage()
    this.heap = Math.max(this.heap, m.heapUsed)
    this.rss = Math.max(this.rss, m.rss)
  }
}

/** Every node gets the same N alive claims, shared (read-only) by all tables. */
function bootstrapRestore(nodes: Membership[]): void {
  const claims: Update[] = nodes.map((m) => ({
    kind: Kind.ALIVE,
    id: m.id,
    incarnation: 0,
    from: m.id,
    addrs: [m.id],
    metadata: EMPTY,
    signature: EMPTY,
  }))
  nodes.forEach((m, i) => {
    m.restore(claims)
    if (i % 1000 === 999) progress(`restored ${i + 1}/${nodes.length} views`)
  })
}

/** Real joins: node i joins through n0 and two random earlier nodes; runs until every view is full. */
async function bootstrapJoin(net: SimNetwork, nodes: Membership[], random: Random): Promise<number> {
  const start = net.clock.now()
  const joins = nodes.slice(1).map((m, i) => {
    const seeds = new Set([
      'n0',
      nodes[Math.floor(random.next() * (i + 1))].id,
      nodes[Math.floor(random.next() * (i + 1))].id,
    ])
    return m.join([...seeds]).catch(() => 0)
  })
  const n = nodes.length
  for (;;) {
    await net.clock.run(1000, 10)
    const full = nodes.filter((m) => m.size === n).length
    const t = (net.clock.now() - start) / 1000
    if (full === n) break
    if (t % 10 === 0) progress(`join bootstrap: ${full}/${n} full views after ${t} virtual s`)
    if (t >= 3600) throw new Error(`join bootstrap did not converge in an hour of virtual time (${full}/${n} full)`)
  }
  await Promise.all(joins)
  return net.clock.now() - start
}

/** What the listeners collect about suspicions, deaths and metadata changes. */
class Observer {
  readonly crashed = new Set<string>()
  readonly paused = new Set<string>()
  readonly falseSuspicions = new Set<string>()
  readonly falseDeaths = new Set<string>()
  readonly pausedSuspicions = new Set<string>()
  readonly pausedDeaths = new Set<string>()
  falseSuspicionEvents = 0
  falseDeathEvents = 0
  crashAt = 0
  /** viewer -> when it marked the crashed member dead */
  readonly detections = new Map<string, number>()
  /** reports scenario: a change is seen once the member's report arrived, not its claim */
  needReport = false
  /** member id -> its pending metadata changes */
  readonly changes = new Map<
    string,
    Array<{ incarnation: number; at: number; seen: Set<string>; latencies: number[] }>
  >()

  constructor(private readonly now: () => number) {}

  watch(m: Membership, updates: boolean): void {
    m.addEventListener('member:suspect', (e) => this.suspect(e.detail))
    m.addEventListener('member:dead', (e) => this.dead(m.id, e.detail))
    if (updates) {
      for (const name of ['member:update', 'member:alive', 'member:join'] as const) {
        m.addEventListener(name, (e) => this.update(m.id, e.detail))
      }
    }
  }

  private suspect(member: Member): void {
    const key = `${member.id}:${member.incarnation}`
    if (this.crashed.has(member.id)) return
    if (this.paused.has(member.id)) this.pausedSuspicions.add(key)
    else {
      this.falseSuspicions.add(key)
      this.falseSuspicionEvents++
    }
  }

  private dead(viewer: string, member: Member): void {
    const key = `${member.id}:${member.incarnation}`
    if (this.crashed.has(member.id)) {
      if (!this.detections.has(viewer)) this.detections.set(viewer, Math.round(this.now() - this.crashAt))
    } else if (this.paused.has(member.id)) this.pausedDeaths.add(key)
    else {
      this.falseDeaths.add(key)
      this.falseDeathEvents++
    }
  }

  private update(viewer: string, member: Member): void {
    const pending = this.changes.get(member.id)
    if (pending === undefined || (this.needReport && member.report === undefined)) return
    for (const c of pending) {
      if (member.incarnation >= c.incarnation && !c.seen.has(viewer)) {
        c.seen.add(viewer)
        c.latencies.push(Math.round(this.now() - c.at))
      }
    }
  }
}

export async function run(o: Options): Promise<Record<string, unknown>> {
  const totalStart = performance.now()
  const memory = new Memory()
  // maxMembers (4096 by default, what one push-pull of real claims holds) would cap every table
  // below N past 4096: the simulator's claims are small, so the table holds the whole cluster
  const configInput = {
    profile: o.profile,
    lifeguard: o.lifeguard,
    stallAwareness: o.stallAwareness,
    maxMembers: Math.max(DEFAULTS.maxMembers, o.nodes),
    probeRings: o.probeRings,
  }
  const config = resolveConfig(configInput)
  const minSuspicion = suspicionTimeout(config.suspicionMult, o.nodes, config.probeIntervalMs)
  const maxSuspicion = o.lifeguard ? config.suspicionMaxTimeoutMult * minSuspicion : minSuspicion
  const net = new SimNetwork({
    seed: o.seed,
    latencyMs: o.latencyMs,
    jitterMs: o.jitterMs,
    config: configInput,
    connections: o.connections,
  })
  const random = seededRandom(o.seed * 7919 + 17) // the scenario's own choices
  const ids = Array.from({ length: o.nodes }, (_, i) => `n${i}`)
  // reports: fnvDigest, remembered per body (the simulator hands bodies around by reference, so
  // each is hashed once; a real node hashes what it receives, with SHA-256)
  const digests = new WeakMap<Uint8Array, Uint8Array>()
  const hash = (b: Uint8Array) => digests.get(b) ?? digests.set(b, fnvDigest(b)).get(b)!
  const nodes = ids.map((id) => net.addNode(id, { hash }))
  const observer = new Observer(() => net.clock.now())

  progress(`${o.nodes} nodes, ${o.scenario}, loss ${o.loss}, seed ${o.seed}, bootstrap ${o.bootstrap}`)
  const bootStart = performance.now()
  let bootstrapVirtualMs = 0
  if (o.bootstrap === 'restore') {
    bootstrapRestore(nodes)
    for (const m of nodes) await m.start()
  } else {
    for (const m of nodes) await m.start()
    bootstrapVirtualMs = await bootstrapJoin(net, nodes, random)
  }
  const bootstrapWall = (performance.now() - bootStart) / 1000
  memory.sample()
  progress(`bootstrap: ${round(bootstrapWall)} s wall, heap ${Math.round(memory.heap / 2 ** 20)} MB`)

  observer.needReport = o.scenario === 'reports' && o.reportBytes > 0
  for (const m of nodes) observer.watch(m, o.scenario === 'update' || o.scenario === 'reports')
  net.setLoss(o.loss)
  await drive(net, o.warmup * 1000, memory, 'warm-up')

  const windowMs = o.seconds * 1000
  const windowStart = net.clock.now()
  const traffic0 = { ...net.traffic }
  const pauseMs = o.pauseMs ?? Math.floor(minSuspicion / 2)
  let victim: string | undefined
  if (o.scenario === 'crash' || o.scenario === 'pause') {
    victim = ids[Math.floor(random.next() * ids.length)]
    if (o.scenario === 'crash') {
      observer.crashed.add(victim)
      observer.crashAt = windowStart
      net.crash(victim)
    } else {
      observer.paused.add(victim)
      net.pause(victim)
      const v = victim
      net.clock.setTimeout(() => net.resume(v), pauseMs)
    }
  }
  const isStalls = o.scenario === 'stalls'
  let stallsStarted = 0
  if (isStalls) {
    const count = Math.max(1, Math.round(o.stallFraction * o.nodes))
    const stallers = [...ids]
    // a seeded choice of `count` members, each with its own phase
    for (let i = stallers.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1))
      ;[stallers[i], stallers[j]] = [stallers[j], stallers[i]]
    }
    for (const id of stallers.slice(0, count)) {
      observer.paused.add(id)
      const phase = Math.floor(random.next() * o.stallEvery)
      for (let at = phase; at + o.stallMs <= windowMs; at += o.stallEvery) {
        net.clock.setTimeout(() => {
          if (net.stall(id, o.stallMs)) stallsStarted++
        }, at)
      }
    }
  }
  let updates = 0
  if (o.scenario === 'update') {
    for (let at = 0; at === 0 || at + o.updateEvery <= windowMs; at += o.updateEvery) {
      net.clock.setTimeout(() => {
        const m = nodes[Math.floor(random.next() * nodes.length)]
        m.setMetadata(Uint8Array.of(updates >> 8, updates & 0xff))
        updates++
        const list = observer.changes.get(m.id) ?? []
        list.push({ incarnation: m.self().incarnation, at: net.clock.now(), seen: new Set(), latencies: [] })
        observer.changes.set(m.id, list)
      }, at)
    }
  }

  if (o.scenario === 'reports') {
    // every member changes its report (or, with --report-bytes 0, small metadata) once per
    // --report-every, at a random phase
    for (const m of nodes) {
      const phase = Math.floor(random.next() * o.reportEvery)
      for (let at = phase; at <= windowMs; at += o.reportEvery) {
        net.clock.setTimeout(() => {
          const n = updates++
          const stamp = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
          if (o.reportBytes > 0) {
            const body = new Uint8Array(o.reportBytes)
            body.set(stamp)
            m.setReport(body)
          } else {
            const metadata = new Uint8Array(64).fill(7)
            metadata.set(stamp)
            m.setMetadata(metadata)
          }
          const list = observer.changes.get(m.id) ?? []
          list.push({ incarnation: m.self().incarnation, at: net.clock.now(), seen: new Set(), latencies: [] })
          observer.changes.set(m.id, list)
        }, at)
      }
    }
  }

  const wallStart = performance.now()
  const cpuStart = process.cpuUsage()
  await drive(net, windowMs, memory, o.scenario)
  const wallSeconds = (performance.now() - wallStart) / 1000
  const cpu = process.cpuUsage(cpuStart)

  const t = net.traffic
  const perMemberSecond = (x: number) => round(x / o.nodes / o.seconds, 3)
  const packets = t.packetsSent - traffic0.packetsSent
  const requests = t.requests - traffic0.requests
  const packetBytes = t.bytesSent - traffic0.bytesSent
  const syncBytes = t.requestBytes - traffic0.requestBytes
  const fetchBytes = t.fetchBytes - traffic0.fetchBytes

  const detections = [...observer.detections.values()].sort((a, b) => a - b)
  const latencies: number[] = []
  const full: number[] = []
  let pairs = 0
  // reports: changes in the window's last 15 s have no time to reach everyone; not counted
  const lastCounted = o.scenario === 'reports' ? windowStart + windowMs - 15_000 : Number.POSITIVE_INFINITY
  for (const list of observer.changes.values()) {
    for (const c of list) {
      if (c.at > lastCounted) continue
      latencies.push(...c.latencies)
      pairs += o.nodes - 1
      if (c.seen.size >= o.nodes - 1) full.push(Math.max(...c.latencies))
    }
  }
  latencies.sort((a, b) => a - b)
  full.sort((a, b) => a - b)
  const excusedPause = (o.scenario === 'pause' && pauseMs < minSuspicion) || (isStalls && o.stallMs < minSuspicion)
  const engineStats = nodes.map((m) => m.stats())
  const sum = (k: 'inconclusiveProbes' | 'stalls') => engineStats.reduce((n, s) => n + s[k], 0)
  const isCrash = o.scenario === 'crash'
  const isUpdate = o.scenario === 'update' || o.scenario === 'reports'
  const isReports = o.scenario === 'reports'

  return {
    nodes: o.nodes,
    scenario: o.scenario,
    loss: o.loss,
    seed: o.seed,
    virtualSeconds: o.seconds,
    wallSeconds: round(wallSeconds),
    profile: o.profile,
    lifeguard: o.lifeguard,
    stallAwareness: o.stallAwareness,
    firstDetectionMs: isCrash ? (detections[0] ?? null) : null,
    fullDetectionMs: isCrash && detections.length >= o.nodes - 1 ? detections[detections.length - 1] : null,
    falseSuspicions: observer.falseSuspicions.size,
    falseDeaths: observer.falseDeaths.size + (excusedPause ? observer.pausedDeaths.size : 0),
    messagesPerMemberPerSecond: perMemberSecond(packets + 2 * requests),
    bytesPerMemberPerSecond: perMemberSecond(packetBytes + syncBytes),
    disseminationP50Ms: isUpdate ? percentile(latencies, 50) : null,
    disseminationP99Ms: isUpdate ? percentile(latencies, 99) : null,
    maxHeapMB: Math.round(memory.heap / 2 ** 20),
    // the same, in more detail
    maxRssMB: Math.round(memory.rss / 2 ** 20),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6),
    warmupSeconds: o.warmup,
    bootstrap: o.bootstrap,
    bootstrapWallSeconds: round(bootstrapWall),
    bootstrapVirtualSeconds: round(bootstrapVirtualMs / 1000),
    totalWallSeconds: round((performance.now() - totalStart) / 1000),
    suspicionMinMs: minSuspicion,
    suspicionMaxMs: maxSuspicion,
    detectionBoundMs: isCrash ? maxSuspicion + 5 * config.probeIntervalMs : null,
    detectedBy: isCrash ? detections.length : null,
    victim: victim ?? null,
    pauseMs: o.scenario === 'pause' ? pauseMs : null,
    pausedSuspicions: o.scenario === 'pause' ? observer.pausedSuspicions.size : null,
    pausedDeaths: o.scenario === 'pause' ? observer.pausedDeaths.size : null,
    falseSuspicionEvents: observer.falseSuspicionEvents,
    falseDeathEvents: observer.falseDeathEvents,
    updates: isUpdate ? updates : null,
    stallingMembers: isStalls ? observer.paused.size : null,
    stallMs: isStalls ? o.stallMs : null,
    stallEveryMs: isStalls ? o.stallEvery : null,
    stallsStarted: isStalls ? stallsStarted : null,
    stalledSuspicions: isStalls ? observer.pausedSuspicions.size : null,
    stalledDeaths: isStalls ? observer.pausedDeaths.size : null,
    inconclusiveProbes: sum('inconclusiveProbes'),
    stallsNoticed: sum('stalls'),
    disseminationDeliveredRatio: isUpdate ? round(pairs === 0 ? 0 : latencies.length / pairs, 4) : null,
    disseminationFullP50Ms: isUpdate ? percentile(full, 50) : null,
    disseminationFullMaxMs: isUpdate && full.length === updates ? (full[full.length - 1] ?? null) : null,
    disseminationFullP99Ms: isReports ? percentile(full, 99) : null,
    changesCounted: isReports ? pairs / (o.nodes - 1) : null,
    changesComplete: isReports ? full.length : null,
    disseminationBoundMs: isUpdate ? Math.round(2 * Math.log2(o.nodes) * config.gossipIntervalMs) : null,
    packetsPerMemberPerSecond: perMemberSecond(packets),
    pushPullsPerMemberPerSecond: perMemberSecond(requests),
    packetBytesPerMemberPerSecond: perMemberSecond(packetBytes),
    // reports: the bodies fetched (requests and bodies), apart from gossip and push-pull
    reportBytes: isReports ? o.reportBytes : null,
    reportEveryMs: isReports ? o.reportEvery : null,
    fetchBytesPerMemberPerSecond: isReports ? perMemberSecond(fetchBytes) : null,
    fetchesPerMemberPerSecond: isReports ? perMemberSecond(t.fetches - traffic0.fetches) : null,
    allBytesPerMemberPerSecond: isReports ? perMemberSecond(packetBytes + syncBytes + fetchBytes) : null,
    reportFetchFailures: isReports ? engineStats.reduce((n, s) => n + s.reportFetchFailures, 0) : null,
    reportEvictions: isReports ? engineStats.reduce((n, s) => n + s.reportEvictions, 0) : null,
    syncBytesPerMemberPerSecond: perMemberSecond(syncBytes),
    observedLoss: round((t.packetsLost - traffic0.packetsLost) / Math.max(1, packets), 4),
    // the connection model (--connections): a handshake has two ends, so each one counts for two nodes
    probeRings: o.probeRings,
    connectionBudget:
      o.connections === undefined ? null : Number.isFinite(o.connections.budget) ? o.connections.budget : null,
    connectionSetupMs: o.connections?.setupMs ?? null,
    handshakesPerNodePerSecond:
      o.connections === undefined ? null : perMemberSecond(2 * (t.handshakes - traffic0.handshakes)),
    handshakeCpuMsPerNodePerSecond:
      o.connections === undefined ? null : perMemberSecond(t.handshakeCpuMs - traffic0.handshakeCpuMs),
    connectionsPerNodeMean:
      o.connections === undefined
        ? null
        : round(net.ids().reduce((n, id) => n + net.connectionCount(id), 0) / o.nodes, 1),
    nodeVersion: process.version,
    nodeOptions: [process.env.NODE_OPTIONS, ...process.execArgv].filter(Boolean).join(' ') || null,
  }
}

/** Runs `ms` of virtual time, sampling memory every virtual second and reporting progress. */
async function drive(net: SimNetwork, ms: number, memory: Memory, what: string): Promise<void> {
  const start = net.clock.now()
  const wall = performance.now()
  let reported = wall
  for (let done = 0; done < ms; ) {
    const step = Math.min(1000, ms - done)
    await net.clock.run(step, 10)
    done += step
    memory.sample()
    const now = performance.now()
    if (now - reported > 10_000 || done >= ms) {
      reported = now
      const rate = done / 1000 / ((now - wall) / 1000)
      progress(
        `${what}: ${round((net.clock.now() - start) / 1000, 1)}/${ms / 1000} virtual s (${round(rate)}x real time)`,
      )
    }
  }
}

/** The CLI: 0 on success, 2 on bad flags. Never calls process.exit. */
export async function main(argv: string[]): Promise<number> {
  let options: Options | undefined
  try {
    options = parseOptions(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`sim: ${err.message}\n\n${USAGE}\n`)
    return 2
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const resized = sizeHeap(options.nodes, argv)
  if (resized !== undefined) return resized
  const result = await run(options)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

/**
 * The old-generation heap a run of n nodes wants, in MB: every node holds a table of all n
 * members, about 150 bytes a record measured (N=10000 steady peaked at 15 GB), so 200 bytes a
 * record plus 512 MB for everything else.
 */
export function heapNeededMB(n: number): number {
  return 512 + Math.ceil((n * n * 200) / 2 ** 20)
}

const SIZED_ENV = 'MURMUR_SIM_HEAP_SIZED'

/**
 * Runs this benchmark again in a child Node with a heap large enough for n nodes when the current
 * limit is lower (and the machine has the memory), so `npm run bench:sim -- --nodes 10000` works
 * as written. Returns the child's exit code, or undefined to run here.
 */
function sizeHeap(n: number, argv: string[]): number | undefined {
  const limitMB = getHeapStatistics().heap_size_limit / 2 ** 20
  const wantMB = heapNeededMB(n)
  if (limitMB >= wantMB || process.env[SIZED_ENV] !== undefined) return undefined
  const machineMB = Math.floor((totalmem() / 2 ** 20) * 0.85)
  const mb = Math.min(wantMB, machineMB)
  if (mb < wantMB) {
    progress(`${n} nodes want about ${wantMB} MB of heap; this machine has room for ${mb} MB, the run may run out`)
  }
  if (mb <= limitMB) return undefined
  progress(`running with --max-old-space-size=${mb} (${n} nodes want about ${wantMB} MB of heap)`)
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${mb}`, import.meta.filename, ...argv],
    { stdio: 'inherit', env: { ...process.env, [SIZED_ENV]: '1' } },
  )
  if (child.error !== undefined) throw child.error
  return child.status ?? 1
}

if (import.meta.filename === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`sim: ${(err as Error).stack ?? err}\n`)
      process.exitCode = 1
    },
  )
}
