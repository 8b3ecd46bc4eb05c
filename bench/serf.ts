/**
 * HashiCorp Serf on the same real-network harness as Murmur's loss runs (bench/lib/netns.ts), so
 * Serf's wire cost is measured here rather than quoted. For each loss level, on a fresh cluster:
 * N `serf agent`s, each in a network namespace of its own (test/fixtures/netns.ts NetnsLab), lan
 * profile (Serf's default), all joining through agent 0. Once every agent sees N members alive,
 * every agent drops a fraction of the packets reaching its eth0, and after a settle period a
 * steady window measures the IP traffic per agent (eth0 counters) and counts the suspicions and
 * deaths in Serf's logs (all false: nobody failed). Then one agent is killed with SIGKILL and the
 * time until every other logs it as failed is taken.
 *
 *   npm run bench:serf -- [--nodes 10] [--loss 0,0.1,0.2] [--settle 10] [--window 60]
 *
 * Needs root, `ip`, `iptables` and `serf` (apt-get install -y serf). JSON on stdout, progress on
 * stderr. Agents are killed by PID on teardown, on errors, on exit and on SIGINT/SIGTERM; the
 * fixture removes the namespaces.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import { localDate } from './lib/bench.ts'
import { type Fixture, type LinkCounters, loadFixture, parseLinkStats, trafficRates } from './lib/netns.ts'
import { quantile, round } from './lib/stats.ts'
import type { LoadAverage } from './lib/types.ts'

const run = promisify(execFile)
const PORT = 7946
const RPC = '127.0.0.1:7373'
/** Bounds on every wait: agent start, join convergence, detection after kill -9. */
const START_BOUND_MS = 30_000
const CONVERGE_BOUND_MS = 60_000
const DETECT_BOUND_MS = 60_000

/** The parts of test/fixtures/netns.ts NetnsLab used here (it lives in the test build). */
interface Lab {
  readonly hosts: string[]
  addr(i: number): string
  wrap(i: number): string[]
  exec(i: number, cmd: string[]): Promise<string>
  loss(i: number, p: number): Promise<void>
  destroy(): Promise<void>
}
type LabFixture = Fixture & { NetnsLab: { create(n: number): Promise<Lab> } }

/** What an agent's log says about another member; `at` is when the line reached us (Date.now()). */
interface Verdict {
  observer: number
  subject: string
  kind: 'suspect' | 'failed'
  at: number
}
const VERDICTS: Array<[RegExp, Verdict['kind']]> = [
  [/memberlist: Suspect (\S+) has failed/, 'suspect'],
  [/memberlist: Marking (\S+) as failed/, 'failed'],
  [/serf: EventMemberFailed: (\S+)/, 'failed'],
]

interface Agent {
  proc: ChildProcess
  pid: number
  running: boolean
  exited: boolean
  tail: string[]
}

/** Serf agents alive now: killed on exit and on signals, before the fixture deletes the namespaces. */
const livePids = new Set<number>()
function killAll(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  livePids.clear()
}
process.on('exit', killAll)
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.prependOnceListener(sig, () => {
    killAll()
    // the fixture's own handler (loaded later, so it runs after this one) removes the namespaces
    // and re-raises the signal; without it, re-raise here so the default handler ends the process
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig)
  })
}

const log = (line: string) => process.stderr.write(`bench:serf: ${line}\n`)
const load = (): LoadAverage => loadavg().map((x) => round(x, 2)) as LoadAverage

/** Polls `pred` every 200 ms; resolves with Date.now() when it holds, throws after `timeoutMs`. */
async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(200)
  }
  return Date.now()
}

class SerfCluster {
  readonly agents: Agent[] = []
  readonly verdicts: Verdict[] = []

  constructor(readonly lab: Lab) {}

  get n(): number {
    return this.lab.hosts.length
  }

  /** Agent 0, then the others joining through it; each is up once it logs "Serf agent running!". */
  async start(): Promise<void> {
    this.spawn(0)
    await this.waitRunning([0])
    const rest = Array.from({ length: this.n - 1 }, (_, k) => k + 1)
    for (const i of rest) this.spawn(i)
    await this.waitRunning(rest)
  }

  private spawn(i: number): void {
    const args = [
      'agent',
      `-node=agent-${i}`,
      `-bind=${this.lab.addr(i)}:${PORT}`,
      `-rpc-addr=${RPC}`,
      '-log-level=info',
      ...(i > 0 ? [`-join=${this.lab.addr(0)}:${PORT}`] : []),
    ]
    const [cmd, ...pre] = this.lab.wrap(i)
    // `ip netns exec` execs serf itself, so the PID is serf's
    const proc = spawn(cmd!, [...pre, 'serf', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    const agent: Agent = { proc, pid: proc.pid!, running: false, exited: false, tail: [] }
    livePids.add(agent.pid)
    proc.on('exit', () => {
      agent.exited = true
      livePids.delete(agent.pid)
    })
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.onLine(i, agent, line))
    }
    this.agents[i] = agent
  }

  private onLine(i: number, agent: Agent, line: string): void {
    agent.tail = [...agent.tail.slice(-9), line]
    if (line.includes('Serf agent running!')) agent.running = true
    for (const [re, kind] of VERDICTS) {
      const m = re.exec(line)
      if (m) this.verdicts.push({ observer: i, subject: m[1]!, kind, at: Date.now() })
    }
  }

  private async waitRunning(which: number[]): Promise<void> {
    await waitFor(
      () => {
        const dead = which.find((i) => this.agents[i]!.exited)
        if (dead !== undefined) throw new Error(`agent-${dead} exited:\n${this.agents[dead]!.tail.join('\n')}`)
        return which.every((i) => this.agents[i]!.running)
      },
      START_BOUND_MS,
      `agents ${which.join(',')} to start`,
    )
  }

  /** Every agent's `serf members` lists all N alive. */
  async converged(): Promise<boolean> {
    const views = await Promise.all(
      this.agents.map(async (_, i) => {
        const out = await this.lab.exec(i, ['serf', 'members', `-rpc-addr=${RPC}`, '-format', 'json']).catch(() => '')
        return out === '' ? [] : (JSON.parse(out) as { members: Array<{ status: string }> }).members
      }),
    )
    return views.every((ms) => ms.filter((m) => m.status === 'alive').length === this.n)
  }

  async linkCounters(i: number): Promise<{ at: number; link: LinkCounters }> {
    const at = Date.now()
    const { stdout } = await run('ip', ['-n', this.lab.hosts[i]!, '-j', '-s', 'link', 'show', 'dev', 'eth0'])
    return { at, link: parseLinkStats(stdout) }
  }

  rssMB(i: number): number {
    const kB = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.agents[i]!.pid}/status`, 'utf8'))
    return round(Number(kB?.[1]) / 1024, 1)
  }

  /** SIGTERM (serf stops without leaving), SIGKILL after 5 s; then the namespaces go. */
  async teardown(): Promise<void> {
    const live = this.agents.filter((a) => a !== undefined && !a.exited)
    for (const a of live) a.proc.kill('SIGTERM')
    await waitFor(() => live.every((a) => a.exited), 5000, 'agents to stop').catch(() => {
      for (const a of live) a.proc.kill('SIGKILL')
    })
    await waitFor(() => live.every((a) => a.exited), 5000, 'agents to die').catch(() => {})
    await this.lab.destroy()
  }
}

/** Distinct (observer, subject) pairs among the verdicts of one kind within [from, to). */
function distinctPairs(vs: Verdict[], kind: Verdict['kind'], from: number, to: number): number {
  return new Set(
    vs.filter((v) => v.kind === kind && v.at >= from && v.at < to).map((v) => `${v.observer} ${v.subject}`),
  ).size
}

interface Plan {
  nodes: number
  settleSeconds: number
  windowSeconds: number
}

async function lossLevel(fixture: LabFixture, plan: Plan, loss: number) {
  const before = load()
  const c = new SerfCluster(await fixture.NetnsLab.create(plan.nodes))
  const all = Array.from({ length: plan.nodes }, (_, i) => i)
  try {
    const spawnedAt = Date.now()
    await c.start()
    const joinedAt = await waitFor(() => c.converged(), CONVERGE_BOUND_MS, 'every agent to see all members alive')
    log(`loss ${loss}: ${plan.nodes} agents converged; settle ${plan.settleSeconds} s, window ${plan.windowSeconds} s`)
    if (loss > 0) await Promise.all(all.map((i) => c.lab.loss(i, loss)))
    await sleep(plan.settleSeconds * 1000)
    // trafficRates also averages Murmur's own payload counters; Serf has none
    const withoutPayload = (s: { at: number; link: LinkCounters }) => ({
      ...s,
      payload: { bytesIn: 0, bytesOut: 0, packetsOut: 0 },
    })
    const first = await Promise.all(all.map((i) => c.linkCounters(i)))
    await sleep(plan.windowSeconds * 1000)
    const last = await Promise.all(all.map((i) => c.linkCounters(i)))
    const rss = all.map((i) => c.rssMB(i))
    const [from, to] = [first[0]!.at, Date.now()]
    const traffic = trafficRates(first.map(withoutPayload), last.map(withoutPayload))
    const window = {
      windowSeconds: round((to - from) / 1000, 1),
      wireTxBytesPerNodePerSecond: traffic.wireTxBytes,
      wireTxPacketsPerNodePerSecond: traffic.wireTxPackets,
      wireRxBytesPerNodePerSecond: traffic.wireRxBytes,
      wireRxPacketsPerNodePerSecond: traffic.wireRxPackets,
      suspicions: distinctPairs(c.verdicts, 'suspect', from, to),
      deaths: distinctPairs(c.verdicts, 'failed', from, to),
      rssMB: { median: round(quantile(rss, 0.5), 1), min: Math.min(...rss), max: Math.max(...rss) },
    }
    log(`loss ${loss}: ${JSON.stringify(window)}`)
    return { loss, joinMs: joinedAt - spawnedAt, ...window, ...(await killOne(c)), load: { before, after: load() } }
  } finally {
    await c.teardown()
  }
}

/** kill -9 of the last agent: ms until the first survivor suspects it, and until the first and every survivor marks it failed. */
async function killOne(c: SerfCluster) {
  const victim = c.n - 1
  const name = `agent-${victim}`
  const killedAt = Date.now()
  process.kill(c.agents[victim]!.pid, 'SIGKILL')
  const about = (kind: Verdict['kind']) =>
    c.verdicts.filter((v) => v.kind === kind && v.subject === name && v.at >= killedAt && v.observer !== victim)
  const firstMs = (kind: Verdict['kind'], observer?: number) => {
    const ts = about(kind)
      .filter((v) => observer === undefined || v.observer === observer)
      .map((v) => v.at - killedAt)
    return ts.length === 0 ? null : Math.min(...ts)
  }
  const survivors = c.agents.map((_, i) => i).filter((i) => i !== victim)
  let detectAllMs: number | null = null
  try {
    await waitFor(() => survivors.every((o) => firstMs('failed', o) !== null), DETECT_BOUND_MS, 'detection')
    detectAllMs = Math.max(...survivors.map((o) => firstMs('failed', o)!))
  } catch (err) {
    log(`kill -9: ${(err as Error).message}`)
  }
  const r = { firstSuspicionMs: firstMs('suspect'), detectFirstMs: firstMs('failed'), detectAllMs }
  log(`kill -9 of ${name}: ${JSON.stringify(r)}`)
  return r
}

function serfVersion(): { version: string; debianPackage: string | null; memberlist: string | null } {
  const version = spawnSync('serf', ['version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim()
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax
  const dpkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}\t${Built-Using}', 'serf'], { encoding: 'utf8' })
  const [pkg, builtUsing] = dpkg.status === 0 ? dpkg.stdout.split('\t') : []
  return {
    version,
    debianPackage: pkg ?? null,
    memberlist: /hashicorp-memberlist \(= ([^)]+)\)/.exec(builtUsing ?? '')?.[1] ?? null,
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '10' },
      loss: { type: 'string', default: '0,0.1,0.2' },
      settle: { type: 'string', default: '10' },
      window: { type: 'string', default: '60' },
    },
  })
  const plan: Plan = {
    nodes: Number(values.nodes),
    settleSeconds: Number(values.settle),
    windowSeconds: Number(values.window),
  }
  const losses = values.loss.split(',').map(Number)
  const fixture = (await loadFixture()) as LabFixture
  const why = fixture.netnsUnsupported()
  if (why !== undefined || spawnSync('serf', ['version']).status !== 0) {
    log(`cannot run: ${why ?? '`serf` is not installed (apt-get install -y serf)'}`)
    return 2
  }
  const started = Date.now()
  const levels = []
  for (const loss of losses) {
    log(`loss ${loss}: fresh cluster of ${plan.nodes} agents, load ${load()[0]}`)
    try {
      levels.push(await lossLevel(fixture, plan, loss))
    } catch (err) {
      log(`loss ${loss}: FAILED ${(err as Error).message}`)
      levels.push({ loss, error: (err as Error).message.split('\n')[0] })
    }
  }
  const out = {
    serf: serfVersion(),
    date: localDate(new Date()),
    nodes: plan.nodes,
    profile: 'lan (serf default)',
    cluster: 'fresh per loss level (new namespaces and agents)',
    lossRule: 'iptables -m statistic --mode random DROP on each agent INPUT from eth0',
    settleSeconds: plan.settleSeconds,
    counting:
      'suspicions: distinct (observer, subject) pairs of "memberlist: Suspect X has failed" lines (logged by the prober only); deaths: distinct pairs of "Marking X as failed" / "EventMemberFailed: X" lines; both within the window',
    wallSeconds: round((Date.now() - started) / 1000, 1),
    levels,
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  return levels.some((l) => 'error' in l) ? 1 : 0
}

process.exitCode = await main()
