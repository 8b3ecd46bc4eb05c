/**
 * Soak: N real agents under packet loss for M minutes, with deliberate kills and restarts along
 * the way. Prints one JSON object: false deaths (deaths of agents never killed), detections of
 * the deliberate kills (every one must be found), RSS per agent at start and end and its median
 * every minute (rssGrowthFromMinute10: the last minute's over minute 10's), CPU per agent.
 * Not part of the test run.
 *
 *   npm run soak -- --nodes 30 --minutes 10 --loss 0.1 [--kills 5] [--lan]
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { AgentProcess } from '@murmur/cli'
import { TestCluster } from './fixtures/cluster.ts'

function usage(message: string): never {
  process.stderr.write(`soak: ${message}\nusage: npm run soak -- --nodes 30 --minutes 10 --loss 0.1 [--kills 5]\n`)
  process.exit(2)
}

function args() {
  let v: ReturnType<typeof parseArgs>['values']
  try {
    v = parseArgs({
      options: {
        nodes: { type: 'string', default: '30' },
        minutes: { type: 'string', default: '10' },
        loss: { type: 'string', default: '0.1' },
        kills: { type: 'string', default: '5' },
      },
      strict: true,
    }).values
  } catch (err) {
    usage((err as Error).message)
  }
  const nodes = Number(v.nodes)
  const minutes = Number(v.minutes)
  const loss = Number(v.loss)
  const kills = Number(v.kills)
  if (!Number.isInteger(nodes) || nodes < 3 || nodes > 100) usage('--nodes must be a whole number from 3 to 100')
  if (!(minutes > 0 && minutes <= 120)) usage('--minutes must be in (0, 120]')
  if (!(loss >= 0 && loss < 1)) usage('--loss must be in [0, 1)')
  if (!Number.isInteger(kills) || kills < 0 || kills >= nodes) usage('--kills must be a whole number below --nodes')
  return { nodes, minutes, loss, kills }
}

/** Resident memory (MB) and CPU seconds of a process, from /proc. */
function usageOf(pid: number): { rssMB: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rssKB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12]) // utime + stime
    return { rssMB: Math.round((rssKB / 1024) * 10) / 10, cpuSeconds: ticks / 100 }
  } catch {
    return undefined
  }
}

const round = (x: number) => Math.round(x * 100) / 100

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? null : s[Math.floor(s.length / 2)]
}

/** last / (the sample at minute 10, or the first one in a shorter soak), or null without samples. */
function rssGrowth(byMinute: number[]): number | null {
  const from = byMinute[Math.min(9, byMinute.length - 1)]
  const last = byMinute.at(-1)
  return from === undefined || last === undefined || from === 0 ? null : round(last / from)
}

async function main(): Promise<void> {
  const o = args()
  const log = (m: string) => process.stderr.write(`soak: ${m}\n`)
  const t0 = Date.now()
  log(`starting ${o.nodes} agents`)
  const c = await TestCluster.start(o.nodes, {
    faults: true,
    config: { probeIntervalMs: 1000, probeTimeoutMs: 500, indirectChecks: 3, pushPullIntervalMs: 15_000 },
  })
  try {
    await c.waitFor(() => c.converged(), 120_000, 'convergence')
    const convergedMs = Date.now() - t0
    log(`converged in ${convergedMs} ms; applying ${o.loss * 100}% loss for ${o.minutes} min`)
    const start = new Map(c.agents.map((a) => [a.pid, usageOf(a.pid)]))
    await Promise.all(c.agents.map((a) => c.faults(a, { dropRate: o.loss })))
    const since = Date.now()
    const end = since + o.minutes * 60_000
    // the median RSS of the agents never killed, once a minute: memory must stay flat, not only end low
    const rssByMinute: number[] = []
    const sampler = setInterval(() => {
      const alive = c.agents.filter((a) => start.has(a.pid) && a.child.exitCode === null)
      rssByMinute.push(median(alive.map((a) => usageOf(a.pid)?.rssMB ?? 0)) ?? 0)
      log(`minute ${rssByMinute.length}: median RSS ${rssByMinute.at(-1)} MB`)
    }, 60_000)
    const killed = new Set<string>()
    const detections: Array<{ agent: string; firstMs: number | null; fullMs: number | null }> = []
    const gap = (o.minutes * 60_000) / (o.kills + 1)
    for (let k = 0; k < o.kills; k++) {
      await new Promise((r) => setTimeout(r, Math.max(0, since + gap * (k + 1) - Date.now())))
      const i = 1 + k
      const victim = c.agents[i]
      const survivors = c.agents.filter((a) => a !== victim && a.child.exitCode === null)
      killed.add(victim.id)
      const at = Date.now()
      log(`kill -9 ${victim.name}`)
      c.signal(victim, 'SIGKILL')
      await c
        .waitFor(() => survivors.every((s) => c.seen(s, victim)?.state === 'dead'), 120_000, `${victim.name} dead`)
        .catch(() => undefined)
      const deaths = c.eventsAbout(victim, 'member:dead', at).map((d) => Date.parse(d.e.time) - at)
      detections.push({
        agent: victim.name,
        firstMs: deaths.length ? Math.min(...deaths) : null,
        fullMs: deaths.length === survivors.length ? Math.max(...deaths) : null,
      })
      // bring it back with the same key, under the same loss
      const back: AgentProcess = await c.spawn(i)
      await c.faults(back, { dropRate: o.loss })
    }
    await new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())))
    clearInterval(sampler)
    const endUsage = new Map(c.agents.map((a) => [a.pid, usageOf(a.pid)]))
    const falseDeaths = c.events.filter(
      (x) => x.e.event === 'member:dead' && Date.parse(x.e.time) >= since && 'id' in x.e && !killed.has(x.e.id),
    ).length
    const falseSuspicions = c.events.filter(
      (x) => x.e.event === 'member:suspect' && Date.parse(x.e.time) >= since && 'id' in x.e && !killed.has(x.e.id),
    ).length
    const steady = c.agents.filter((a) => start.has(a.pid))
    const rssStart = steady.map((a) => start.get(a.pid)?.rssMB ?? 0)
    const rssEnd = steady.map((a) => endUsage.get(a.pid)?.rssMB ?? 0)
    const cpu = steady.map((a) => {
      const s = start.get(a.pid)
      const e = endUsage.get(a.pid)
      return s && e ? (e.cpuSeconds - s.cpuSeconds) / ((Date.now() - since) / 1000) : 0
    })
    const result = {
      nodes: o.nodes,
      minutes: o.minutes,
      loss: o.loss,
      convergedMs,
      deliberateKills: o.kills,
      detected: detections.filter((d) => d.fullMs !== null).length,
      detections,
      falseDeaths,
      falseSuspicionEvents: falseSuspicions,
      rssMBPerAgentStart: { median: median(rssStart), max: Math.max(...rssStart) },
      rssMBPerAgentEnd: { median: median(rssEnd), max: Math.max(...rssEnd) },
      rssMBMedianByMinute: rssByMinute,
      // from minute 10 (or the first sample, in a shorter soak) to the last: last / first
      rssGrowthFromMinute10: rssGrowth(rssByMinute),
      cpuPercentPerAgent: {
        median: round((median(cpu) ?? 0) * 100),
        max: round(Math.max(...cpu) * 100),
        all: cpu.map((x) => round(x * 100)),
      },
      wallSeconds: Math.round((Date.now() - t0) / 1000),
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
    if (result.falseDeaths > 0 || result.detected < o.kills) process.exitCode = 1
  } finally {
    await c.teardown()
  }
}

await main()
