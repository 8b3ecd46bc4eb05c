/**
 * What worker mode costs, measured: one JSON object on stdout, progress on stderr.
 *
 * 1. Per node (real `murmur agent` processes, lan profile, a cluster of --nodes on loopback): the
 *    resident memory (VmRSS) and the CPU time (user + system, from /proc) of an agent over a
 *    --seconds window once converged, in-thread (`agent`) and in worker mode (`agent --worker`).
 *    Half the agents run each way, in the same cluster, so both see the same traffic.
 * 2. API latency (in this process, an in-thread seed): the time of members() and self() (from the
 *    mirror in worker mode), of broadcast() (a round trip over the MessagePort in worker mode) and
 *    of a user event from broadcast() to its delivery on the same node.
 *
 *   node bench/dist/worker.js [--nodes 6] [--seconds 30] [--calls 500]
 */
import { readFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { type AgentProcess, spawnAgent } from '@murmur/cli'
import { createMurmurNode, type MurmurNode } from '@murmur/libp2p'

const progress = (m: string) => process.stderr.write(`worker-bench: ${m}\n`)
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const TICKS = 100 // USER_HZ on Linux

async function procStats(pid: number): Promise<{ rssMB: number; cpuS: number; threads: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  const threads = Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0)
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  // fields after the command: state is [0]; utime is field 14 of the whole line, [11] here
  const cpu = (Number(stat[11]) + Number(stat[12])) / TICKS
  return { rssMB: rss, cpuS: cpu, threads }
}

async function perNode(nodes: number, seconds: number) {
  const agents: AgentProcess[] = []
  const base = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--profile', 'lan']
  try {
    for (let i = 0; i < nodes; i++) {
      const worker = i % 2 === 1
      const join = i === 0 ? [] : ['--join', agents[0].addrs[0]]
      agents.push(await spawnAgent(`bench-${i}`, [...base, ...join, ...(worker ? ['--worker'] : [])], () => {}, 60_000))
    }
    progress(`${nodes} agents up; settling 10 s`)
    await sleep(10_000)
    const before = await Promise.all(agents.map((a) => procStats(a.pid)))
    progress(`measuring ${seconds} s`)
    await sleep(seconds * 1000)
    const after = await Promise.all(agents.map((a) => procStats(a.pid)))
    const rows = agents.map((_, i) => ({
      worker: i % 2 === 1,
      rssMB: after[i].rssMB,
      cpuPercent: ((after[i].cpuS - before[i].cpuS) / seconds) * 100,
      threads: after[i].threads,
    }))
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    const of = (worker: boolean) => {
      const r = rows.filter((x) => x.worker === worker)
      return {
        agents: r.length,
        rssMB: round(mean(r.map((x) => x.rssMB)), 1),
        cpuPercent: round(mean(r.map((x) => x.cpuPercent)), 2),
        threads: round(mean(r.map((x) => x.threads)), 1),
      }
    }
    return { inThread: of(false), worker: of(true) }
  } finally {
    for (const a of agents) a.child.kill('SIGKILL')
  }
}

async function latency(calls: number, worker: boolean) {
  const seed = await createMurmurNode({ membership: { profile: 'lan' } })
  const join = seed.getMultiaddrs().map(String)
  const node: MurmurNode = worker
    ? await createMurmurNode({ worker: true, join, membership: { profile: 'lan' } })
    : await createMurmurNode({ join, membership: { profile: 'lan' } })
  try {
    const m = node.services.membership
    const time = (fn: () => void, n: number) => {
      const t = performance.now()
      for (let i = 0; i < n; i++) fn()
      return ((performance.now() - t) / n) * 1000 // µs
    }
    const membersUs = time(() => m.members(), calls * 10)
    const selfUs = time(() => m.self(), calls * 10)
    const rtts: number[] = []
    const deliveries: number[] = []
    const sentAt = new Map<string, number>()
    m.addEventListener('user-event', (e) => {
      const t = sentAt.get(e.detail.name)
      if (t !== undefined) deliveries.push(performance.now() - t)
    })
    for (let i = 0; i < calls; i++) {
      const name = `bench-${i}`
      const t = performance.now()
      sentAt.set(name, t)
      await m.broadcast(name)
      rtts.push(performance.now() - t)
    }
    await sleep(500)
    const p = (xs: number[], q: number) => {
      const s = [...xs].sort((a, b) => a - b)
      return round(s[Math.min(s.length - 1, Math.floor((q / 100) * s.length))] ?? Number.NaN, 3)
    }
    return {
      membersCallUs: round(membersUs, 2),
      selfCallUs: round(selfUs, 2),
      broadcastMsP50: p(rtts, 50),
      broadcastMsP99: p(rtts, 99),
      eventDeliveryMsP50: p(deliveries, 50),
      eventDeliveryMsP99: p(deliveries, 99),
    }
  } finally {
    await node.stop()
    await seed.stop()
  }
}

const { values } = parseArgs({
  options: { nodes: { type: 'string' }, seconds: { type: 'string' }, calls: { type: 'string' } },
})
const nodes = Number(values.nodes ?? 6)
const seconds = Number(values.seconds ?? 30)
const calls = Number(values.calls ?? 500)
progress('API latency, in-thread')
const inThread = await latency(calls, false)
progress('API latency, worker mode')
const inWorker = await latency(calls, true)
const cost = await perNode(nodes, seconds)
process.stdout.write(
  `${JSON.stringify({ nodes, seconds, calls, perNode: cost, apiLatency: { inThread, worker: inWorker }, nodeVersion: process.version })}\n`,
)
