/**
 * Partition benchmark on a real network: N agents, each in a network namespace of its own, cut
 * into two halves by iptables for --cut seconds, then healed. For each run it reports how long
 * each side took to declare the other dead, how long after the heal every agent saw every agent
 * alive again, and the verdicts each side reached about its own members (false deaths), during
 * the cut and after the heal; for silent cuts (packets dropped) and error cuts (sends refused).
 *
 *   npm run bench:netns -- [--nodes 10] [--profile lan] [--cut 60] [--runs 3] [--mode silent --mode error] [--sockets] [--timeline] [--transport tcp|quic]
 *
 * Needs root, `ip` and `iptables`. JSON on stdout, progress on stderr. The namespaces and agents
 * are the integration tests' (test/fixtures/netns.ts), loaded from its build.
 */
import { parseArgs } from 'node:util'
import { detectBoundMs, maxSuspicionMs } from './lib/netns.ts'

type CutMode = 'silent' | 'error'
/** The parts of test/fixtures/netns.ts used here (it lives in another build; see the import below). */
interface PartitionResult {
  mode: CutMode
  healMs: number | undefined
  firstContactMs: number | undefined
  detectMs: { first: number; last: number }
  falseDeaths: { duringCut: number; afterHeal: number }
  [k: string]: unknown
}
interface NetnsCluster {
  converged(): boolean
  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<number>
  teardown(): Promise<void>
}
interface Fixture {
  netnsUnsupported(): string | undefined
  NetnsCluster: {
    start(n: number, o: { profile: string; spawnConcurrency?: number; transport?: string }): Promise<NetnsCluster>
  }
  runPartition(c: NetnsCluster, o: Record<string, unknown>): Promise<PartitionResult>
}

const FIXTURE = new URL('../../test/dist/fixtures/netns.js', import.meta.url)

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '10' },
      profile: { type: 'string', default: 'lan' },
      cut: { type: 'string', default: '60' },
      runs: { type: 'string', default: '3' },
      mode: { type: 'string', multiple: true, default: ['silent', 'error'] },
      'heal-bound': { type: 'string', default: '120' },
      sockets: { type: 'boolean', default: false },
      timeline: { type: 'boolean', default: false },
      // what the agents listen on: TCP (Noise, Yamux) or QUIC alone
      transport: { type: 'string', default: 'tcp' },
    },
  })
  const log = (line: string) => process.stderr.write(`bench:netns: ${line}\n`)
  const fixture = (await import(FIXTURE.href)) as Fixture
  const why = fixture.netnsUnsupported()
  if (why !== undefined) {
    log(`cannot run: ${why}`)
    return 2
  }
  const n = Number(values.nodes)
  const runs = Number(values.runs)
  const profile = values.profile!
  const results: PartitionResult[] = []
  for (const mode of values.mode as CutMode[]) {
    for (let r = 1; r <= runs; r++) {
      log(`${mode} cut, run ${r}/${runs}: ${n} agents, ${profile}, ${values.transport}, ${values.cut} s`)
      const c = await fixture.NetnsCluster.start(n, { profile, transport: values.transport })
      try {
        await c.waitFor(() => c.converged(), 60_000, 'join convergence')
        const result = await fixture.runPartition(c, {
          n,
          profile,
          mode,
          cutMs: Number(values.cut) * 1000,
          detectBoundMs: Number(values.cut) * 1000,
          healBoundMs: Number(values['heal-bound']) * 1000,
          // deaths after the heal are counted once a suspicion begun at the heal has run its course
          settleMs: maxSuspicionMs(profile, n),
          captureSockets: values.sockets,
          timeline: values.timeline,
          log,
        })
        results.push({ run: r, transport: values.transport, detectBoundMs: detectBoundMs(profile, n), ...result })
      } finally {
        await c.teardown()
      }
    }
  }
  const summary = Object.fromEntries(
    (values.mode as CutMode[]).map((mode) => {
      const of = results.filter((x) => x.mode === mode)
      return [
        mode,
        {
          healMs: of.map((x) => x.healMs ?? null),
          firstContactMs: of.map((x) => x.firstContactMs ?? null),
          detectMs: of.map((x) => [x.detectMs.first, x.detectMs.last]),
          falseDeathsDuringCut: of.map((x) => x.falseDeaths.duringCut),
          falseDeathsAfterHeal: of.map((x) => x.falseDeaths.afterHeal),
        },
      ]
    }),
  )
  process.stdout.write(`${JSON.stringify({ summary, runs: results }, null, 2)}\n`)
  return 0
}

process.exitCode = await main()
