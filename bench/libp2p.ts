/**
 * In-process real-libp2p benchmark: N Murmur nodes (TCP + Noise + Yamux on 127.0.0.1, lan
 * profile, the real @murmur/libp2p service) in this one Node process.
 *
 *   npm run bench:libp2p -- --nodes 30 --seconds 30
 *
 * 1. starts N nodes; N-1 join through the first, at most --join-concurrency at a time (a whole
 *    cluster dialing one seed in the same instant saturates a small machine: at N=50 on 2 cores
 *    the seed's Noise handshakes outlast libp2p's 6 s address-dial timeout); a join that fails
 *    anyway is retried (the engine's JoinFailedError). joinConvergenceMs = from the first join
 *    until every node sees every other alive;
 * 2. waits --settle seconds (join traffic and the Lifeguard scores it raised are not steady
 *    state), then measures a --seconds window: CPU of the process / N, RSS of the process,
 *    payload bytes sent / N / s, the probe-period drift (below), and falseSuspicions (suspect
 *    events in the window: every node is up then);
 * 3. stops one node abruptly (node.stop(), no leave): firstDetectionMs / fullDetectionMs = until
 *    the first / the last survivor declares it dead.
 *
 * Connections (issue 16): before the cluster starts, --handshakes fresh connections between two
 * idle nodes of this process measure one connection's set-up (TCP + Noise XX + Yamux, to the
 * first packet stream): handshakeMs (wall, mean and p99) and handshakeCpuMs (the CPU of both ends,
 * halved: one end's share). In the window: connectionsPerNode (peers held, mean and max),
 * handshakesPerNodePerSecond (each connection counts at both its ends), dialMsMean, slowDials
 * (dials slower than the probe timeout: the probe riding on one failed because of the dial),
 * connectionsReaped, and handshakeCpuPercentPerNode = handshakes/s x handshakeCpuMs.
 * --max-connections B gives every node the connection budget B (MembershipInit.maxConnections).
 *
 * Prints exactly one JSON object on stdout; progress goes to stderr. Bad flags: exit code 2.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import type { ProbeResult } from '@murmur/core'
import { createMurmurNode, PACKET_PROTOCOL } from '@murmur/libp2p'
import { quantile, round } from './lib/stats.ts'

type MurmurNode = Awaited<ReturnType<typeof createMurmurNode>>

const USAGE =
  'usage: node bench/dist/libp2p.js [--nodes N (3..500, default 10)] [--seconds S (default 30)] ' +
  '[--settle S (default 10)] [--join-concurrency C (default 4)] [--max-connections B] [--handshakes K (default 100)]'

interface Options {
  nodes: number
  seconds: number
  settle: number
  joinConcurrency: number
  /** MembershipInit.maxConnections of every node; undefined: no budget. */
  maxConnections: number | undefined
  handshakes: number
}

const JOIN_ATTEMPTS = 5

/** Thrown for bad command-line flags: the message is printed with the usage, exit code 2. */
class UsageError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

function intFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  }
  return n
}

function parseOptions(argv: string[]): Options {
  let values: Record<string, string | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        nodes: { type: 'string' },
        seconds: { type: 'string' },
        settle: { type: 'string' },
        'join-concurrency': { type: 'string' },
        'max-connections': { type: 'string' },
        handshakes: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  return {
    nodes: intFlag(values.nodes, 'nodes', 10, 3, 500),
    seconds: intFlag(values.seconds, 'seconds', 30, 1, 3600),
    settle: intFlag(values.settle, 'settle', 10, 0, 600),
    joinConcurrency: intFlag(values['join-concurrency'], 'join-concurrency', 4, 1, 500),
    maxConnections:
      values['max-connections'] === undefined
        ? undefined
        : intFlag(values['max-connections'], 'max-connections', 0, 1, 10_000),
    handshakes: intFlag(values.handshakes, 'handshakes', 100, 0, 10_000),
  }
}

/** Follows every node's view (event-driven, no polling) and the probe rounds. */
class Observer {
  readonly alive: Array<Set<string>>
  readonly deadAt = new Map<string, number>()
  probes: Array<Array<Pick<ProbeResult, 'startedAt' | 'healthScore'>>> | undefined
  suspicions = 0
  private readonly checks = new Set<() => void>()
  private readonly nodes: MurmurNode[]

  constructor(nodes: MurmurNode[]) {
    this.nodes = nodes
    this.alive = nodes.map(() => new Set<string>())
    nodes.forEach((node, i) => {
      this.watch(node, i)
    })
  }

  converged(): boolean {
    return this.alive.every((s) => s.size === this.nodes.length - 1)
  }

  /** Resolves when `pred` holds (checked on every membership event); rejects after `ms`. */
  until(pred: () => boolean, ms: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.checks.delete(check)
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`))
      }, ms)
      const check = () => {
        if (!pred()) return
        clearTimeout(timer)
        this.checks.delete(check)
        resolve()
      }
      this.checks.add(check)
    })
  }

  private changed(): void {
    for (const check of [...this.checks]) check()
  }

  private watch(node: MurmurNode, i: number): void {
    const svc = node.services.membership
    const up = (id: string) => {
      this.alive[i].add(id)
      this.changed()
    }
    const down = (id: string) => {
      this.alive[i].delete(id)
      this.changed()
    }
    svc.addEventListener('member:join', (e) => up(e.detail.id))
    svc.addEventListener('member:alive', (e) => up(e.detail.id))
    svc.addEventListener('member:suspect', (e) => {
      this.suspicions++
      down(e.detail.id)
    })
    svc.addEventListener('member:leave', (e) => down(e.detail.id))
    svc.addEventListener('member:dead', (e) => {
      const key = `${i}:${e.detail.id}`
      if (!this.deadAt.has(key)) this.deadAt.set(key, performance.now())
      down(e.detail.id)
    })
    svc.addEventListener('probe', (e) => this.probes?.[i].push(e.detail))
  }
}

/**
 * Probe-period drift. A round's `scheduledAt` is read when its timer fires, so
 * `startedAt - scheduledAt` only shows the work inside the tick (about 0). What matters is how
 * late each round starts against its schedule. For consecutive rounds of one node:
 *   drift = (startedAt[i] - startedAt[i-1]) - probeIntervalMs
 * counted only when rounds i-2 and i-1 both reported a health score of 0, i.e. when the engine
 * scheduled round i at the plain probeIntervalMs (Lifeguard stretches the interval to
 * probeIntervalMs * (score + 1) otherwise, which is by design, not drift). Positive = late:
 * timer lateness and event-loop stalls shared by the N nodes of this process. p99 over all
 * nodes' samples.
 */
function driftSamples(rounds: Array<Pick<ProbeResult, 'startedAt' | 'healthScore'>>, intervalMs: number): number[] {
  const s = [...rounds].sort((a, b) => a.startedAt - b.startedAt)
  const out: number[] = []
  for (let i = 2; i < s.length; i++) {
    if (s[i - 2].healthScore !== 0 || s[i - 1].healthScore !== 0) continue
    out.push(s[i].startedAt - s[i - 1].startedAt - intervalMs)
  }
  return out
}

/** Every node in `joiners` joins through `seed`, `concurrency` at a time, each retried a few times. */
async function joinAll(seed: MurmurNode, joiners: MurmurNode[], concurrency: number): Promise<void> {
  const queue = [...joiners]
  const worker = async (): Promise<void> => {
    for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          await node.services.membership.join(seed.getMultiaddrs())
          break
        } catch (err) {
          if (attempt >= JOIN_ATTEMPTS) throw err
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, joiners.length) }, worker))
}

const bytesSent = (nodes: MurmurNode[]): number =>
  nodes.reduce((n, node) => n + node.services.membership.stats().transport.bytesSent, 0)

/** The transport's connection counters, summed over `nodes`. */
function connectionTotals(nodes: MurmurNode[]) {
  const t = { handshakes: 0, dials: 0, dialMs: 0, slowDials: 0, reaped: 0 }
  for (const node of nodes) {
    const s = node.services.membership.stats().transport
    t.handshakes += s.handshakes.outbound + s.handshakes.inbound
    t.dials += s.handshakes.outbound
    t.dialMs += s.dialMs
    t.slowDials += s.slowDials
    t.reaped += s.connectionsReaped
  }
  return t
}

/**
 * The set-up of one connection between two idle nodes: `count` times, node a dials b afresh
 * (TCP + Noise XX + Yamux) and opens a Murmur packet stream on it, then closes it. Wall time
 * per set-up (mean, p99) and CPU per end (process CPU / count / 2: both ends run here).
 */
async function measureHandshakes(
  count: number,
): Promise<{ handshakeMs: number; handshakeP99Ms: number; handshakeCpuMs: number }> {
  const [a, b] = await Promise.all([createMurmurNode(), createMurmurNode()])
  try {
    const addrs = b.getMultiaddrs()
    const times: number[] = []
    for (let i = 0; i < 5; i++) await (await a.dial(addrs)).close() // warm-up: JIT, key caches
    const cpu0 = process.cpuUsage()
    for (let i = 0; i < count; i++) {
      const t = performance.now()
      const c = await a.dial(addrs, { force: true } as Parameters<typeof a.dial>[1])
      const stream = await c.newStream(PACKET_PROTOCOL)
      times.push(performance.now() - t)
      await stream.close()
      await c.close()
      await sleep(20) // under createMurmurNode's 100 inbound connections per host per second
    }
    const cpu = process.cpuUsage(cpu0)
    return {
      handshakeMs: round(times.reduce((x, y) => x + y, 0) / Math.max(1, count), 2),
      handshakeP99Ms: round(quantile(times, 0.99), 2),
      handshakeCpuMs: round((cpu.user + cpu.system) / 1000 / Math.max(1, count) / 2, 2),
    }
  } finally {
    await Promise.allSettled([a.stop(), b.stop()])
  }
}

async function run(options: Options, log: (line: string) => void): Promise<Record<string, unknown>> {
  const nodes: MurmurNode[] = []
  try {
    const handshake = options.handshakes > 0 ? await measureHandshakes(options.handshakes) : undefined
    if (handshake !== undefined) log(`one connection set-up: ${JSON.stringify(handshake)}`)
    const membership = { profile: 'lan' as const, maxConnections: options.maxConnections }
    const started = await Promise.all(Array.from({ length: options.nodes }, () => createMurmurNode({ membership })))
    nodes.push(...started)
    const observer = new Observer(nodes)
    const config = nodes[0].services.membership.config
    const [seed, ...rest] = nodes
    log(`started ${nodes.length} nodes; joining through ${seed.peerId}`)

    const joinAt = performance.now()
    await joinAll(seed, rest, options.joinConcurrency)
    await observer.until(() => observer.converged(), 60_000 + 3000 * options.nodes, 'join convergence')
    const joinConvergenceMs = performance.now() - joinAt
    log(`converged in ${round(joinConvergenceMs, 1)} ms; settling ${options.settle} s`)
    await sleep(options.settle * 1000)

    log(`measuring steady state for ${options.seconds} s`)
    observer.probes = nodes.map(() => [])
    const suspicionsBefore = observer.suspicions
    const cpu0 = process.cpuUsage()
    const bytes0 = bytesSent(nodes)
    const conns0 = connectionTotals(nodes)
    const held: number[] = []
    const t0 = performance.now()
    const sampler = setInterval(() => {
      for (const n of nodes) held.push(n.services.membership.stats().transport.connections)
    }, 1000)
    await sleep(options.seconds * 1000)
    clearInterval(sampler)
    const elapsedMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const bytes = bytesSent(nodes) - bytes0
    const conns1 = connectionTotals(nodes)
    const perNodeSecond = (x: number) => x / options.nodes / (elapsedMs / 1000)
    const handshakesPerNodePerSecond = perNodeSecond(conns1.handshakes - conns0.handshakes)
    const dials = conns1.dials - conns0.dials
    const rssMBTotal = process.memoryUsage().rss / (1024 * 1024)
    const drift = observer.probes.flatMap((rounds) => driftSamples(rounds, config.probeIntervalMs))
    observer.probes = undefined
    const falseSuspicions = observer.suspicions - suspicionsBefore

    const victim = nodes[nodes.length - 1]
    const victimId = victim.peerId.toString()
    log(`stopping ${victimId} abruptly`)
    const stopAt = performance.now()
    await victim.stop()
    const survivors = nodes.length - 1
    const deaths = () => [...observer.deadAt.keys()].filter((k) => k.endsWith(`:${victimId}`)).length
    await observer.until(() => deaths() === survivors, 180_000, 'every survivor to declare the victim dead')
    const detected = [...observer.deadAt.entries()]
      .filter(([k]) => k.endsWith(`:${victimId}`))
      .map(([, at]) => at - stopAt)

    return {
      nodes: options.nodes,
      seconds: options.seconds,
      profile: config.profile,
      joinConcurrency: options.joinConcurrency,
      joinConvergenceMs: round(joinConvergenceMs, 1),
      firstDetectionMs: round(Math.min(...detected), 1),
      fullDetectionMs: round(Math.max(...detected), 1),
      cpuPercentPerNode: round(((cpu.user + cpu.system) / 1000 / elapsedMs / options.nodes) * 100, 3),
      rssMBTotal: round(rssMBTotal, 1),
      bytesPerNodePerSecond: round(bytes / options.nodes / (elapsedMs / 1000), 1),
      probePeriodDriftP99Ms: round(quantile(drift, 0.99), 2),
      falseSuspicions,
      maxConnections: options.maxConnections ?? null,
      connectionsPerNodeMean: round(held.reduce((x, y) => x + y, 0) / Math.max(1, held.length), 1),
      connectionsPerNodeMax: held.length === 0 ? null : Math.max(...held),
      handshakesPerNodePerSecond: round(handshakesPerNodePerSecond, 3),
      dialMsMean: dials === 0 ? null : round((conns1.dialMs - conns0.dialMs) / dials, 1),
      slowDials: conns1.slowDials - conns0.slowDials,
      connectionsReaped: conns1.reaped - conns0.reaped,
      ...(handshake ?? {}),
      handshakeCpuPercentPerNode:
        handshake === undefined ? null : round((handshakesPerNodePerSecond * handshake.handshakeCpuMs) / 10, 3),
    }
  } finally {
    await Promise.allSettled(nodes.map(async (n) => n.stop()))
  }
}

async function main(argv: string[]): Promise<number> {
  let options: Options
  try {
    options = parseOptions(argv)
  } catch (err) {
    process.stderr.write(`libp2p bench: ${(err as Error).message}\n${USAGE}\n`)
    return err instanceof UsageError ? err.exitCode : 2
  }
  try {
    const result = await run(options, (line) => process.stderr.write(`libp2p bench: ${line}\n`))
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return 0
  } catch (err) {
    process.stderr.write(`libp2p bench failed: ${(err as Error).stack ?? err}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
