import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Profile } from '@murmur/core'
import { type AgentProcess, spawnAgent, stopAgent } from './cluster.ts'
import { DEMO_CONVERGE_TIMEOUT_MS, DEMO_DETECT_TIMEOUT_MS } from './constants.ts'
import { CliError, EXIT } from './errors.ts'
import type { AgentEvent, MemberJson } from './model.ts'
import { explain, type IO, paint, shortId } from './output.ts'

export interface DemoOptions {
  nodes: number
  profile: Profile
  keep: boolean
  /** Aborted on Ctrl-C: the demo cleans up and stops. */
  signal: AbortSignal
}

/** Per observer, the state it last reported for each member id. */
type Views = Map<string, Map<string, MemberJson>>

/**
 * `murmur demo`: real agents on 127.0.0.1 converge, one is SIGKILLed and declared dead with the
 * reason, it restarts with the same key and rejoins. Leaves no process behind.
 */
export async function runDemo(opts: DemoOptions, io: IO): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'murmur-demo-'))
  const agents: AgentProcess[] = []
  const views: Views = new Map()
  const demo = new DemoView(io, agents, views)
  const onEvent = (a: AgentProcess, e: AgentEvent) => demo.onEvent(a, e)
  const args = (i: number) => [
    '--listen',
    '/ip4/127.0.0.1/tcp/0',
    '--api',
    '127.0.0.1:0',
    '--profile',
    opts.profile,
    '--key-file',
    join(dir, `node-${i}.key`),
    '--tag',
    `demo=${i}`,
  ]
  try {
    const t0 = Date.now()
    io.out(`Starting ${opts.nodes} agents on 127.0.0.1 (profile ${opts.profile})...`)
    // node-1 serves the web view (read-only, loopback): the same story as a picture
    const seed = await spawnAgent('node-1', [...args(1), '--ui'], onEvent)
    agents.push(seed)
    io.out(`Web view (live): http://${seed.api}/ui`)
    const seedAddr = seed.addrs[0]
    const rest = await Promise.all(
      Array.from({ length: opts.nodes - 1 }, (_, k) =>
        spawnAgent(`node-${k + 2}`, [...args(k + 2), '--join', seedAddr], onEvent),
      ),
    )
    agents.push(...rest)
    await demo.until(() => demo.converged(agents), DEMO_CONVERGE_TIMEOUT_MS, 'the cluster to converge', opts.signal)
    const convergedMs = Date.now() - t0
    demo.table(`All ${agents.length} agents see each other alive after ${convergedMs} ms.`)

    const victim = agents[agents.length - 1]
    const survivors = agents.slice(0, -1)
    const before = demo.stateSeenBy(survivors[0], victim.id)?.incarnation ?? 0
    io.out(`\nKilling ${victim.name} (pid ${victim.pid}) with SIGKILL: no goodbye, no leave message.`)
    const killedAt = Date.now()
    demo.watch(victim.id, killedAt)
    victim.child.kill('SIGKILL')
    await victim.exited
    await demo.until(
      () => survivors.every((s) => demo.stateSeenBy(s, victim.id)?.state === 'dead'),
      DEMO_DETECT_TIMEOUT_MS,
      `every survivor to declare ${victim.name} dead`,
      opts.signal,
    )
    const detected = demo.detection(victim.id, killedAt)
    demo.table(
      `Every survivor declared ${victim.name} dead ${detected.fullMs} ms after the kill (first after ${detected.firstMs} ms).`,
    )

    io.out(`\nRestarting ${victim.name} with the same key (same peer id), joining through node-1...`)
    const restartedAt = Date.now()
    const again = await spawnAgent(victim.name, [...args(agents.length), '--join', seedAddr], onEvent)
    agents[agents.length - 1] = again
    await demo.until(() => demo.converged(agents), DEMO_CONVERGE_TIMEOUT_MS, `${victim.name} to rejoin`, opts.signal)
    const rejoinMs = Date.now() - restartedAt
    const after = demo.stateSeenBy(survivors[0], victim.id)?.incarnation ?? 0
    demo.table(`${victim.name} is alive again everywhere after ${rejoinMs} ms, incarnation ${before} -> ${after}.`)

    io.out('\nSummary')
    io.out(`  agents                ${agents.length} real processes, libp2p TCP + Noise + Yamux on 127.0.0.1`)
    io.out(`  converged             ${convergedMs} ms`)
    io.out(`  killed                ${victim.name} (${shortId(victim.id)}) with SIGKILL`)
    io.out(`  first declared dead   ${detected.firstMs} ms after the kill`)
    io.out(`  declared dead by all  ${detected.fullMs} ms after the kill`)
    io.out(`  why                   ${detected.reason}`)
    io.out(
      `  rejoined              ${rejoinMs} ms after restart, incarnation ${before} -> ${after} (refuted its own death)`,
    )
    if (opts.keep) {
      io.out('\n--keep: the cluster stays up. Try, in another terminal:')
      for (const a of agents) io.out(`  npm run -s murmur -- members --api ${a.api}    # ${a.name}`)
      io.out(`or open the web view: http://${agents[0].api}/ui`)
      io.out('Press Ctrl-C to stop every agent.')
      await new Promise((r) => opts.signal.addEventListener('abort', r, { once: true }))
    }
    return 0
  } finally {
    await Promise.all(agents.map((a) => stopAgent(a)))
    await rm(dir, { recursive: true, force: true })
    if (agents.length > 0) io.out(`Stopped ${agents.length} agents; no process left behind.`)
  }
}

class DemoView {
  private watching: { id: string; since: number } | undefined

  constructor(
    private readonly io: IO,
    private readonly agents: AgentProcess[],
    private readonly views: Views,
  ) {}

  onEvent(a: AgentProcess, e: AgentEvent): void {
    if (!('state' in e) || !e.event.startsWith('member:')) return
    let view = this.views.get(a.id)
    if (view === undefined) {
      view = new Map()
      this.views.set(a.id, view)
    }
    view.set(e.id, e)
    if (this.watching?.id === e.id && (e.event === 'member:suspect' || e.event === 'member:dead')) {
      const ms = Date.now() - this.watching.since
      const verb = e.event === 'member:suspect' ? 'suspects' : 'declares dead'
      const line = `  +${String(ms).padStart(5)} ms  ${a.name} ${paint(e.state, verb, this.io.isTTY)} ${this.name(e.id)}: ${explain(e.reason, (id) => this.name(id))}`
      this.drawn = 0 // never redraw over an event line
      this.io.out(line)
    }
  }

  watch(id: string, since: number): void {
    this.watching = { id, since }
  }

  stateSeenBy(observer: AgentProcess, id: string): MemberJson | undefined {
    return this.views.get(observer.id)?.get(id)
  }

  converged(agents: AgentProcess[]): boolean {
    return agents.every((o) => agents.every((m) => m === o || this.stateSeenBy(o, m.id)?.state === 'alive'))
  }

  detection(id: string, since: number): { firstMs: number; fullMs: number; reason: string } {
    const deaths = this.agents
      .flatMap((a) =>
        a.events.filter((e) => e.event === 'member:dead' && 'id' in e && e.id === id).map((e) => ({ a, e })),
      )
      .map(({ a, e }) => ({ a, at: Date.parse(e.time), e: e as MemberJson }))
    const times = deaths.map((d) => d.at - since)
    const own = deaths.find((d) => d.e.reason?.deadBy === 'suspicion-timeout') ?? deaths[0]
    return {
      firstMs: Math.min(...times),
      fullMs: Math.max(...times),
      reason: own ? `${own.a.name}: ${explain(own.e.reason, (x) => this.name(x))}` : 'unknown',
    }
  }

  /** Waits (polling the views) until `pred` holds; throws after `timeoutMs` with what it waited for. */
  async until(pred: () => boolean, timeoutMs: number, what: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let lastDraw = 0
    while (!pred()) {
      if (signal.aborted) throw new CliError('demo interrupted', 'ERR_INTERRUPTED', EXIT.interrupted)
      if (Date.now() > deadline) throw new CliError(`gave up waiting ${timeoutMs} ms for ${what}`, 'ERR_DEMO_TIMEOUT')
      if (this.io.isTTY && Date.now() - lastDraw > 250) {
        this.table(undefined, true)
        lastDraw = Date.now()
      }
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** Lines of the last live table, redrawn in place on a terminal. */
  private drawn = 0

  /** The live table: one row per agent, with how many of the others see it alive. */
  table(caption?: string, live = false): void {
    const rows = this.agents.map((a) => {
      const seen = this.agents.filter((o) => o !== a).map((o) => this.stateSeenBy(o, a.id)?.state ?? '-')
      const alive = seen.filter((s) => s === 'alive').length
      const worst =
        seen.find((s) => s === 'dead') ??
        seen.find((s) => s === 'suspect') ??
        (alive === seen.length ? 'alive' : 'joining')
      const inc = Math.max(0, ...this.agents.map((o) => this.stateSeenBy(o, a.id)?.incarnation ?? 0))
      const alivePid = a.child.exitCode === null && a.child.signalCode === null
      return `  ${a.name.padEnd(8)} ${shortId(a.id).padEnd(16)} pid ${String(a.pid).padEnd(8)} ${alivePid ? 'running' : 'killed '}  ${paint(worst, worst.padEnd(8), this.io.isTTY)} seen alive by ${alive}/${seen.length}  inc ${inc}`
    })
    const text = [`  ${'NAME'.padEnd(8)} ${'PEER ID'.padEnd(16)} ${'PROCESS'.padEnd(21)} VIEW`, ...rows]
    if (caption !== undefined) text.push(caption)
    const redraw = this.io.isTTY && this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[J` : ''
    this.io.out(redraw + text.join('\n'))
    this.drawn = live ? text.length : 0
  }

  private name(id: string): string {
    return this.agents.find((a) => a.id === id)?.name ?? shortId(id)
  }
}
