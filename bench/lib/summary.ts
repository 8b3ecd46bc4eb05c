/**
 * The headline figures, computed once from results.json and used everywhere they are shown:
 * the JSON summary on stdout, the report's table, docs/bench/summary.md and the chart subtitles.
 * Nothing here is typed in by hand.
 */
import { type Profile, resolveConfig, suspicionTimeout } from '@murmur/core'
import { fitLog2, groupBy, mean, quantile, round } from './stats.ts'
import type { ClusterResult, Group, Results, SimResult } from './types.ts'

/** SWIM's expectations for a crash, from the engine's own config for `profile`. */
export interface References {
  probeIntervalMs: number
  suspicionMult: number
  /** e/(e−1)·T: expected time until some member probes the crashed one and suspects it (SWIM §3.1). */
  firstSuspicionMs: number
  /** Minimum suspicion timeout suspicionMult·max(1, log10 N)·T (Lifeguard shrinks to it with confirmations). */
  suspicionTimeoutMs: number
  /** firstSuspicionMs + suspicionTimeoutMs: expected first declaration of death. */
  firstDeadMs: number
}

export function references(profile: string, nodes: number): References {
  const config = resolveConfig({ profile: profile as Profile })
  const T = config.probeIntervalMs
  const firstSuspicionMs = (Math.E / (Math.E - 1)) * T
  const suspicionTimeoutMs = suspicionTimeout(config.suspicionMult, nodes, T)
  return {
    probeIntervalMs: T,
    suspicionMult: config.suspicionMult,
    firstSuspicionMs: round(firstSuspicionMs, 0),
    suspicionTimeoutMs,
    firstDeadMs: round(firstSuspicionMs + suspicionTimeoutMs, 0),
  }
}

export interface Headline {
  detection: {
    nodes: number
    runs: number
    undetected: number
    firstP50Ms: number
    firstP99Ms: number
    fullP50Ms: number
    fullP99Ms: number
    referenceFirstSuspicionMs: number
    referenceFirstDeadMs: number
  }
  load: {
    sizes: number[]
    messagesPerMemberPerSecond: number[]
    bytesPerMemberPerSecond: number[]
    /** The same split into probe/gossip packets and push-pull (null when the simulator did not say). */
    packetBytesPerMemberPerSecond: Array<number | null>
    syncBytesPerMemberPerSecond: Array<number | null>
    /** bytes/member/s at the largest N over that at the smallest: 1 = perfectly flat. */
    bytesLargestOverSmallest: number
  }
  dissemination: {
    sizes: number[]
    p50Ms: number[]
    p99Ms: number[]
    /** c of the least-squares fit p = c·log2(N). */
    p50MsPerLog2N: number
    p99MsPerLog2N: number
  }
  falsePositives: {
    nodes: number
    /** The loss the on/off comparison is quoted at (10% when the plan has it). */
    loss: number
    lifeguardOn: { suspicionsPerMemberHour: number; deathsPerMemberHour: number }
    lifeguardOff: { suspicionsPerMemberHour: number; deathsPerMemberHour: number }
    /** False suspicions with Lifeguard on ÷ off (smaller is better; NaN when off had none). */
    suspicionRatioOnOff: number
    deathRatioOnOff: number
    /** The same comparison at every loss rate of the plan, lowest first. */
    byLoss: Array<{
      loss: number
      lifeguardOn: { suspicionsPerMemberHour: number; deathsPerMemberHour: number }
      lifeguardOff: { suspicionsPerMemberHour: number; deathsPerMemberHour: number }
      suspicionRatioOnOff: number
    }>
  }
  cluster: ClusterResult[]
  simRuns: number
  failures: number
}

/** The runs of one experiment, smallest cluster first. */
export function runsOf(results: Results, group: Group): SimResult[] {
  return results.sim.filter((r) => r.group === group).sort((a, b) => a.nodes - b.nodes)
}

/** Σ events / Σ member-hours over `runs`. */
export function perMemberHour(runs: readonly SimResult[], what: 'falseSuspicions' | 'falseDeaths'): number {
  const events = runs.reduce((a, r) => a + r[what], 0)
  const hours = runs.reduce((a, r) => a + (r.nodes * r.virtualSeconds) / 3600, 0)
  return hours === 0 ? Number.NaN : events / hours
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null)
const ms = (xs: number[], q: number) => round(quantile(xs, q), 0)

export function headline(results: Results): Headline {
  const crash = runsOf(results, 'crash')
  const first = crash.map((r) => r.firstDetectionMs).filter((x): x is number => x !== null)
  const full = crash.map((r) => r.fullDetectionMs).filter((x): x is number => x !== null)
  const ref = references(crash[0]?.profile ?? 'lan', crash[0]?.nodes ?? results.plan.crash.nodes)

  const steady = groupBy(runsOf(results, 'scale'), (r) => r.nodes)
  const avg = (rs: SimResult[], f: (r: SimResult) => number | null) =>
    round(mean(rs.map(f).filter((x): x is number => x !== null)), 2)
  const bytes = [...steady.values()].map((rs) => avg(rs, (r) => r.bytesPerMemberPerSecond))

  const updates = groupBy(runsOf(results, 'update'), (r) => r.nodes)
  const p50 = [...updates.values()].map((rs) => avg(rs, (r) => r.disseminationP50Ms))
  const p99 = [...updates.values()].map((rs) => avg(rs, (r) => r.disseminationP99Ms))
  const sizes = [...updates.keys()]

  const { loss } = results.plan
  const at = loss.losses.includes(0.1) ? 0.1 : loss.losses[Math.floor(loss.losses.length / 2)]
  const lossRuns = (lifeguard: boolean, p: number) =>
    runsOf(results, 'loss').filter((r) => r.loss === p && r.lifeguard === lifeguard)
  const rates = (lifeguard: boolean, p = at) => ({
    suspicionsPerMemberHour: round(perMemberHour(lossRuns(lifeguard, p), 'falseSuspicions'), 3),
    deathsPerMemberHour: round(perMemberHour(lossRuns(lifeguard, p), 'falseDeaths'), 3),
  })
  const on = rates(true)
  const off = rates(false)
  const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 3) : Number.NaN)
  const byLoss = [...loss.losses]
    .sort((a, b) => a - b)
    .filter((p) => lossRuns(true, p).length > 0 && lossRuns(false, p).length > 0)
    .map((p) => {
      const lifeguardOn = rates(true, p)
      const lifeguardOff = rates(false, p)
      const suspicionRatioOnOff = ratio(lifeguardOn.suspicionsPerMemberHour, lifeguardOff.suspicionsPerMemberHour)
      return { loss: p, lifeguardOn, lifeguardOff, suspicionRatioOnOff }
    })

  return {
    detection: {
      nodes: crash[0]?.nodes ?? results.plan.crash.nodes,
      runs: crash.length,
      undetected: crash.length - first.length,
      firstP50Ms: ms(first, 0.5),
      firstP99Ms: ms(first, 0.99),
      fullP50Ms: ms(full, 0.5),
      fullP99Ms: ms(full, 0.99),
      referenceFirstSuspicionMs: ref.firstSuspicionMs,
      referenceFirstDeadMs: ref.firstDeadMs,
    },
    load: {
      sizes: [...steady.keys()],
      messagesPerMemberPerSecond: [...steady.values()].map((rs) => avg(rs, (r) => r.messagesPerMemberPerSecond)),
      bytesPerMemberPerSecond: bytes,
      packetBytesPerMemberPerSecond: [...steady.values()].map((rs) =>
        orNull(avg(rs, (r) => r.packetBytesPerMemberPerSecond ?? null)),
      ),
      syncBytesPerMemberPerSecond: [...steady.values()].map((rs) =>
        orNull(avg(rs, (r) => r.syncBytesPerMemberPerSecond ?? null)),
      ),
      bytesLargestOverSmallest: bytes.length > 1 ? round(bytes[bytes.length - 1] / bytes[0], 2) : Number.NaN,
    },
    dissemination: {
      sizes,
      p50Ms: p50,
      p99Ms: p99,
      p50MsPerLog2N: round(fitLog2(sizes.map((n, i) => [n, p50[i]] as const)), 1),
      p99MsPerLog2N: round(fitLog2(sizes.map((n, i) => [n, p99[i]] as const)), 1),
    },
    falsePositives: {
      nodes: loss.nodes,
      loss: at,
      lifeguardOn: on,
      lifeguardOff: off,
      suspicionRatioOnOff: ratio(on.suspicionsPerMemberHour, off.suspicionsPerMemberHour),
      deathRatioOnOff: ratio(on.deathsPerMemberHour, off.deathsPerMemberHour),
      byLoss,
    },
    cluster: results.cluster,
    simRuns: results.sim.length,
    failures: results.failures.length,
  }
}

const f = (x: number, digits = 2) => (Number.isFinite(x) ? String(round(x, digits)) : 'n/a')
const s = (msValue: number | null) =>
  msValue === null || !Number.isFinite(msValue) ? 'n/a' : `${round(msValue / 1000, 2)} s`

/** One table of headline figures, rendered to Markdown (summary.md) and HTML (report.html) alike. */
export interface Table {
  title: string
  header: string[]
  rows: string[][]
  /** A sentence under the table. */
  note?: string
}

export function summaryTables(h: Headline): Table[] {
  const d = h.detection
  const fp = h.falsePositives
  const tables: Table[] = [
    {
      title: `Crash detection (simulator, N = ${d.nodes}, ${d.runs} seeded crashes)`,
      header: ['', 'p50', 'p99', 'SWIM reference'],
      rows: [
        [
          'first member declares it dead',
          s(d.firstP50Ms),
          s(d.firstP99Ms),
          `${s(d.referenceFirstDeadMs)} (e/(e−1)·T + suspicion timeout)`,
        ],
        ['every member knows', s(d.fullP50Ms), s(d.fullP99Ms), ''],
      ],
      note: `Runs with no detection: ${d.undetected}. Expected first suspicion e/(e−1)·T = ${s(d.referenceFirstSuspicionMs)}.`,
    },
    {
      title: 'Cost per member (simulator, steady state, no loss)',
      header: ['N', 'messages / member / s', 'bytes / member / s', '… in probe and gossip packets', '… in push-pull'],
      rows: h.load.sizes.map((n, i) => [
        String(n),
        f(h.load.messagesPerMemberPerSecond[i]),
        f(h.load.bytesPerMemberPerSecond[i], 0),
        f(h.load.packetBytesPerMemberPerSecond[i] ?? Number.NaN, 1),
        f(h.load.syncBytesPerMemberPerSecond[i] ?? Number.NaN, 0),
      ]),
      note: `Bytes per member per second at the largest N ÷ at the smallest: ${f(h.load.bytesLargestOverSmallest)}.`,
    },
    {
      title: 'Dissemination of one update (simulator)',
      header: ['N', '50% of members', '99% of members'],
      rows: h.dissemination.sizes.map((n, i) => [
        String(n),
        `${f(h.dissemination.p50Ms[i], 0)} ms`,
        `${f(h.dissemination.p99Ms[i], 0)} ms`,
      ]),
      note:
        `Least-squares fits: p50 ≈ ${f(h.dissemination.p50MsPerLog2N, 1)}·log2(N) ms, ` +
        `p99 ≈ ${f(h.dissemination.p99MsPerLog2N, 1)}·log2(N) ms.`,
    },
    {
      title: `False positives at ${f(fp.loss * 100, 0)}% packet loss (simulator, N = ${fp.nodes}, nobody fails)`,
      header: ['', 'false suspicions / member / hour', 'false deaths / member / hour'],
      rows: [
        ['Lifeguard on', f(fp.lifeguardOn.suspicionsPerMemberHour, 3), f(fp.lifeguardOn.deathsPerMemberHour, 3)],
        [
          'Lifeguard off (plain SWIM)',
          f(fp.lifeguardOff.suspicionsPerMemberHour, 3),
          f(fp.lifeguardOff.deathsPerMemberHour, 3),
        ],
        ['on ÷ off', f(fp.suspicionRatioOnOff, 3), f(fp.deathRatioOnOff, 3)],
      ],
    },
    {
      title: `Lifeguard on and off at every loss rate (simulator, N = ${fp.nodes}, per member per hour)`,
      header: [
        'loss',
        'false suspicions, on',
        'false suspicions, off',
        'on ÷ off',
        'false deaths, on',
        'false deaths, off',
      ],
      rows: fp.byLoss.map((b) => [
        `${f(b.loss * 100, 0)}%`,
        f(b.lifeguardOn.suspicionsPerMemberHour, 3),
        f(b.lifeguardOff.suspicionsPerMemberHour, 3),
        f(b.suspicionRatioOnOff, 3),
        f(b.lifeguardOn.deathsPerMemberHour, 3),
        f(b.lifeguardOff.deathsPerMemberHour, 3),
      ]),
    },
  ]
  if (h.cluster.length > 0) {
    tables.push({
      title: `Real clusters (murmur agent processes on 127.0.0.1, ${h.cluster[0].profile} profile)`,
      header: [
        'N',
        'start-up',
        'join convergence',
        'first suspicion',
        'first dead',
        'all dead',
        'CPU / agent',
        'RSS / agent',
        'bytes out / node / s',
      ],
      rows: h.cluster.map((c) => [
        String(c.nodes),
        s(c.startupMs),
        s(c.joinConvergenceMs),
        s(c.firstSuspicionMs),
        s(c.firstDetectionMs),
        s(c.fullDetectionMs),
        `${f(c.cpuPercentMean)}%`,
        `${f(c.rssMBMean, 0)} MB`,
        f(c.bytesOutPerNodePerSecond, 0),
      ]),
      note: 'CPU in % of one core over the steady-state window; bytes are the engine’s membership messages before Noise/Yamux framing.',
    })
  }
  return tables
}

/** One line saying where the figures come from. */
export function provenance(results: Results, h: Headline, command: string): string {
  const env = results.environment
  return (
    `Generated by \`${command}\` on ${env.date} (commit ${env.commit ?? 'unknown'}; Node ${env.node}; ` +
    `${env.cores} × ${env.cpus}; ${env.memoryGB} GB RAM): ${h.simRuns} simulator runs, ${h.cluster.length} real clusters` +
    `${h.failures > 0 ? `, ${h.failures} failed runs (listed in results.json)` : ''}; the whole run took ` +
    `${round(results.wallSeconds / 60, 1)} min.`
  )
}

/** A table as Markdown lines, columns padded to one width as the repository's Markdown formatter writes them. */
export function markdownTable(t: Table): string[] {
  const cell = (x: string) => x.replaceAll('|', '\\|')
  const rows = [t.header, ...t.rows].map((r) => r.map(cell))
  const widths = t.header.map((_, i) => Math.max(3, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => `| ${widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ')} |`
  return [line(rows[0]), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)]
}

/** docs/bench/summary.md: the headline figures as Markdown tables, generated with the charts. */
export function summaryMarkdown(results: Results, h: Headline, command: string): string {
  const table = markdownTable
  const out = [
    '# Murmur benchmark summary',
    '',
    `${provenance(results, h, command)} Generated file: rerun the command rather than edit it.`,
    '',
  ]
  for (const t of summaryTables(h)) {
    out.push(`## ${t.title}`, '', ...table(t), '')
    if (t.note) out.push(t.note, '')
  }
  return out.join('\n')
}
