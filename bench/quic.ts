/**
 * TCP against QUIC on the real-network harness (bench/lib/netns.ts, test/fixtures/netns.ts): for
 * each loss level and each transport, a fresh cluster of N `murmur agent`s, each in a network
 * namespace of its own, lan profile, all listening on TCP (`/ip4/10.77.0.x/tcp/4001`: Noise and
 * Yamux) or on QUIC alone (`/ip4/10.77.0.x/udp/4001/quic-v1`). Once every agent sees every other
 * alive, every agent drops a fraction of the packets reaching its eth0 (iptables statistic); after
 * a settle period a steady window measures the IP traffic per agent (eth0 counters: every header
 * counted) and the engine's own payload, and counts suspicions and deaths (all false); then one
 * agent is killed with SIGKILL and the time until every other declares it dead is taken. The
 * transports alternate at each loss level, so that both see the same stretch of the machine's load.
 *
 *   npm run bench:quic -- [--nodes 10] [--loss 0,0.1,0.2] [--settle 10] [--window 60] [--runs 1] [--transport tcp --transport quic]
 *
 * Needs root, `ip` and `iptables`. JSON on stdout, progress on stderr. The fixture removes every
 * namespace and agent it made, on teardown, on exit and on SIGINT/SIGTERM.
 */
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { loadFixture, lossRun, provenance, type Transport } from './lib/netns.ts'
import { quantile, round } from './lib/stats.ts'
import type { NetnsLossRun, NetnsPlan } from './lib/types.ts'

const log = (line: string) => process.stderr.write(`bench:quic: ${line}\n`)

type Run =
  | ({ transport: Transport; run: number } & NetnsLossRun)
  | { transport: Transport; run: number; loss: number; error: string }

/** One row per transport and loss level: medians over the runs that finished. */
function table(runs: Run[], transports: Transport[], losses: number[]) {
  return losses.flatMap((loss) =>
    transports.map((transport) => {
      const ok = runs.filter(
        (r): r is Extract<Run, NetnsLossRun> => r.transport === transport && r.loss === loss && !('error' in r),
      )
      const med = (f: (r: NetnsLossRun) => number | null) => {
        const xs = ok.map(f).filter((x): x is number => x !== null)
        return xs.length === 0 ? null : round(quantile(xs, 0.5), 1)
      }
      return {
        transport,
        loss,
        runs: ok.length,
        ipBytesOutPerNodePerSecond: med((r) => r.perNodePerSecond.wireTxBytes),
        ipPacketsOutPerNodePerSecond: med((r) => r.perNodePerSecond.wireTxPackets),
        ipBytesInPerNodePerSecond: med((r) => r.perNodePerSecond.wireRxBytes),
        payloadBytesOutPerNodePerSecond: med((r) => r.perNodePerSecond.payloadBytesOut),
        suspicions: ok.map((r) => r.suspicions),
        deaths: ok.map((r) => r.deaths),
        allDeadAfterKillMs: ok.map((r) => r.fullDetectionMs),
      }
    }),
  )
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '10' },
      loss: { type: 'string', default: '0,0.1,0.2' },
      settle: { type: 'string', default: '10' },
      window: { type: 'string', default: '60' },
      runs: { type: 'string', default: '1' },
      transport: { type: 'string', multiple: true, default: ['tcp', 'quic'] },
    },
  })
  const transports = values.transport as Transport[]
  const bad = transports.find((t) => t !== 'tcp' && t !== 'quic')
  if (bad !== undefined) {
    log(`--transport is tcp or quic, not ${bad}`)
    return 2
  }
  const losses = values.loss.split(',').map(Number)
  const plan: NetnsPlan = {
    nodes: Number(values.nodes),
    profile: 'lan',
    partition: { modes: [], runs: 0, cutSeconds: 0, healBoundSeconds: 0 },
    loss: { losses, settleSeconds: Number(values.settle), windowSeconds: Number(values.window) },
  }
  const fixture = await loadFixture()
  const why = fixture.netnsUnsupported()
  if (why !== undefined) {
    log(`cannot run: ${why}`)
    return 2
  }
  const started = Date.now()
  const runs: Run[] = []
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const loss of losses) {
      for (const transport of transports) {
        log(
          `${transport}, loss ${loss}, run ${run}: fresh cluster of ${plan.nodes} agents, load ${round(loadavg()[0]!, 2)}`,
        )
        try {
          runs.push({
            transport,
            run,
            ...(await lossRun(fixture, plan, loss, (l) => log(`${transport}: ${l}`), transport)),
          })
        } catch (err) {
          log(`${transport}, loss ${loss}: FAILED ${(err as Error).message}`)
          runs.push({ transport, run, loss, error: (err as Error).message.split('\n')[0]! })
        }
      }
    }
  }
  const out = {
    ...provenance(),
    nodes: plan.nodes,
    profile: plan.profile,
    cluster: 'fresh per transport, loss level and run (new namespaces and agents)',
    listen: { tcp: '/ip4/10.77.0.x/tcp/4001 (Noise, Yamux)', quic: '/ip4/10.77.0.x/udp/4001/quic-v1 (alone)' },
    lossRule: 'iptables -m statistic --mode random DROP on each agent INPUT from eth0',
    settleSeconds: plan.loss.settleSeconds,
    windowSeconds: plan.loss.windowSeconds,
    counting:
      'IP: eth0 counters (ip -j -s link) over the window, mean per agent; payload: the engine stats.bytesOut; suspicions and deaths: member:suspect and member:dead events of every observer within the window (all false); allDeadAfterKillMs: from kill -9 of the last agent until every other saw it dead',
    wallSeconds: round((Date.now() - started) / 1000, 1),
    table: table(runs, transports, losses),
    runs,
  }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  return runs.some((r) => 'error' in r) ? 1 : 0
}

process.exitCode = await main()
