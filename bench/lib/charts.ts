/**
 * The report's charts as plain ECharts options: data only, no functions, so one option object
 * is rendered the same way in the browser (report.html) and server-side to SVG (the README).
 */
import type { EChartsOption, SeriesOption } from 'echarts'
import { netnsCharts } from './netns-report.ts'
import { cdf, fitLog2, groupBy, log2Curve, mean, round } from './stats.ts'
import { type Headline, perMemberHour, references, runsOf } from './summary.ts'
import type { ClusterResult, Results, SimResult } from './types.ts'

export interface Chart {
  /** Stable id: the element id in report.html and the SVG file name. */
  id: string
  /** Rendered to docs/bench/<id>.svg for the README. */
  headline: boolean
  option: EChartsOption
}

export const WIDTH = 960
export const HEIGHT = 520

const BLUE = '#2b6cb0'
const RED = '#c53030'
const GREEN = '#2f855a'
const ORANGE = '#c05621'
const GREY = '#4a5568'

/** Splits a subtitle into lines of at most `width` characters (ECharts does not wrap subtext). */
export function wrap(text: string, width = 130): string {
  const lines: string[] = []
  for (const para of text.split('\n')) {
    let line = ''
    for (const word of para.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line)
        line = word
      } else line = line === '' ? word : `${line} ${word}`
    }
    lines.push(line)
  }
  return lines.join('\n')
}

/** The frame every chart shares: title and subtitle on top, legend at the bottom, white background. */
export function frame(title: string, subtitle: string, rest: EChartsOption): EChartsOption {
  const sub = wrap(subtitle)
  const lines = sub.split('\n').length
  return {
    backgroundColor: '#ffffff',
    animation: false,
    textStyle: { fontFamily: 'Helvetica, Arial, sans-serif' },
    title: {
      text: title,
      subtext: sub,
      left: 16,
      top: 10,
      textStyle: { fontSize: 17, color: '#1a202c' },
      subtextStyle: { fontSize: 12, color: GREY, lineHeight: 16 },
    },
    legend: { bottom: 8 },
    tooltip: { trigger: 'axis' },
    grid: { left: 80, right: 80, top: 86 + 16 * lines, bottom: 80 },
    ...rest,
  }
}

const sec = (ms: number | null) => (ms === null ? null : round(ms / 1000, 2))
const nonNull = <T>(x: T | null | undefined): x is T => x !== null && x !== undefined

/** Crash detection time: CDF of first and full detection over the seeded crash runs, with SWIM's reference. */
export function detectionChart(results: Results, h: Headline): Chart {
  const runs = runsOf(results, 'crash')
  const first = runs.map((r) => sec(r.firstDetectionMs)).filter(nonNull)
  const full = runs.map((r) => sec(r.fullDetectionMs)).filter(nonNull)
  const nodes = runs[0]?.nodes ?? results.plan.crash.nodes
  const ref = references(runs[0]?.profile ?? 'lan', nodes)
  const T = ref.probeIntervalMs / 1000
  const subtitle =
    `Simulator, N = ${nodes}, ${runs.length} seeded runs, one member crashed per run; ${h.detection.undetected} ` +
    `run(s) without detection left out. Dashed references (SWIM): a crashed member is first probed and suspected ` +
    `after e/(e−1)·T = ${round(ref.firstSuspicionMs / 1000, 2)} s on average for probe period T = ${T} s; it is declared ` +
    `dead after the suspicion timeout on top, ${ref.suspicionMult}·log10(N)·T = ${round(ref.suspicionTimeoutMs / 1000, 2)} s ` +
    `(Lifeguard's minimum, reached once ${ref.suspicionMult - 2} members confirm), so expected first detection = ` +
    `${round(ref.firstDeadMs / 1000, 2)} s.`
  const line = (name: string, data: Array<[number, number]>, color: string): SeriesOption => ({
    type: 'line',
    name,
    step: 'end',
    showSymbol: false,
    lineStyle: { width: 2.5, color },
    itemStyle: { color },
    data,
  })
  const series: SeriesOption[] = [
    {
      ...line('first member declares it dead', cdf(first), BLUE),
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { type: 'dashed', color: GREY },
        label: { position: 'insideEndTop', color: GREY, fontSize: 11, formatter: '{b}' },
        data: [
          { xAxis: round(ref.firstSuspicionMs / 1000, 3), name: 'e/(e−1)·T: expected first suspicion' },
          { xAxis: round(ref.firstDeadMs / 1000, 3), name: 'e/(e−1)·T + suspicion timeout' },
        ],
      },
    } as SeriesOption,
    line('every member knows it is dead', cdf(full), RED),
  ]
  return {
    id: 'detection',
    headline: true,
    option: frame('Crash detection time', subtitle, {
      xAxis: { type: 'value', name: 'seconds after the crash', nameLocation: 'middle', nameGap: 30, min: 0 },
      yAxis: { type: 'value', name: 'fraction of crashes detected', min: 0, max: 1 },
      series,
    }),
  }
}

/** Messages and bytes per member per second against N (log x): flat is the goal. Two panels side by side. */
export function loadChart(results: Results): Chart {
  const runs = groupBy(runsOf(results, 'scale'), (r) => r.nodes)
  const points = (f: (r: SimResult) => number | undefined): Array<[number, number]> =>
    [...runs]
      .map(([n, rs]) => [n, rs.map(f).filter(nonNull)] as const)
      .filter(([, ys]) => ys.length > 0)
      .map(([n, ys]) => [n, round(mean(ys), 2)])
  const windows = [...new Set(runsOf(results, 'scale').map((r) => r.virtualSeconds))].sort((a, b) => b - a)
  const subtitle =
    `Simulator, steady state without loss, LAN profile, ${windows.join(' / ')} s of virtual time per size (shorter ` +
    `for the largest). Left: everything a member sends (probes, acks, indirect probes, gossip, push-pull) per ` +
    `second; SWIM's promise is a constant cost per member whatever the cluster size, a flat line. Right: the ` +
    `bytes, split into probe and gossip packets (flat) and periodic push-pull anti-entropy, a full-state exchange ` +
    `whose size grows with N (its interval grows only with log N).`
  const line = (name: string, data: Array<[number, number]>, color: string, axis: number, dash = 'solid') =>
    ({
      type: 'line',
      name,
      data,
      xAxisIndex: axis,
      yAxisIndex: axis,
      symbolSize: 7,
      lineStyle: { color, width: 2.5, type: dash },
      itemStyle: { color },
    }) as SeriesOption
  const base = frame('Cost per member as the cluster grows', subtitle, {})
  const top = (base.grid as { top: number }).top
  const xAxis = (i: number) => ({
    type: 'log' as const,
    logBase: 10,
    gridIndex: i,
    name: 'cluster size N (log scale)',
    nameLocation: 'middle' as const,
    nameGap: 30,
  })
  const series: SeriesOption[] = [
    line(
      'messages sent / member / s',
      points((r) => r.messagesPerMemberPerSecond),
      BLUE,
      0,
    ),
    line(
      'bytes sent / member / s (all)',
      points((r) => r.bytesPerMemberPerSecond),
      ORANGE,
      1,
    ),
  ]
  const packets = points((r) => r.packetBytesPerMemberPerSecond)
  const sync = points((r) => r.syncBytesPerMemberPerSecond)
  if (packets.length > 0) series.push(line('… in probe and gossip packets', packets, GREEN, 1, 'dashed'))
  if (sync.length > 0) series.push(line('… in push-pull anti-entropy', sync, GREY, 1, 'dotted'))
  return {
    id: 'load',
    headline: true,
    option: {
      ...base,
      tooltip: { trigger: 'axis' },
      grid: [
        { left: 70, width: '36%', top, bottom: 80 },
        { right: 40, width: '40%', top, bottom: 80 },
      ],
      xAxis: [xAxis(0), xAxis(1)],
      yAxis: [
        { type: 'value', gridIndex: 0, name: 'messages / member / s', min: 0 },
        { type: 'log', gridIndex: 1, name: 'bytes / member / s (log scale)', logBase: 10 },
      ],
      series,
    },
  }
}

/** Dissemination time of one update against N, with c·log2(N) fitted to the p50 and p99 points. */
export function disseminationChart(results: Results): Chart {
  const runs = groupBy(runsOf(results, 'update'), (r) => r.nodes)
  const seeds = [...new Set([...runs.values()].map((rs) => rs.length))].sort((a, b) => b - a)
  const pts = (f: (r: SimResult) => number | null): Array<[number, number]> =>
    [...runs]
      .map(([n, rs]) => [n, rs.map(f).filter(nonNull)] as const)
      .filter(([, ys]) => ys.length > 0)
      .map(([n, ys]) => [n, round(mean(ys), 1)])
  const p50 = pts((r) => r.disseminationP50Ms)
  const p99 = pts((r) => r.disseminationP99Ms)
  const c50 = fitLog2(p50)
  const c99 = fitLog2(p99)
  const sizes = [...runs.keys()]
  const lo = Math.min(...sizes)
  const hi = Math.max(...sizes)
  const subtitle =
    `Simulator, one member changes its metadata and the update spreads by piggybacking and gossip; time until ` +
    `50% and 99% of members have it, mean of ${seeds.join(' / ')} seeded runs per size (fewer for the largest). Dashed: least-squares ` +
    `fits of c·log2(N) (infection-style dissemination takes O(log N) rounds): p50 ≈ ${round(c50, 1)}·log2(N) ms, ` +
    `p99 ≈ ${round(c99, 1)}·log2(N) ms.`
  const solid = (name: string, data: Array<[number, number]>, color: string): SeriesOption => ({
    type: 'line',
    name,
    data,
    lineStyle: { color, width: 2.5 },
    itemStyle: { color },
    symbolSize: 8,
  })
  const fit = (name: string, c: number, color: string): SeriesOption => ({
    type: 'line',
    name,
    data: Number.isFinite(c) ? log2Curve(c, lo, hi) : [],
    showSymbol: false,
    lineStyle: { color, width: 1.5, type: 'dashed' },
    itemStyle: { color },
  })
  return {
    id: 'dissemination',
    headline: true,
    option: frame('Dissemination time of an update', subtitle, {
      xAxis: { type: 'log', logBase: 10, name: 'cluster size N (log scale)', nameLocation: 'middle', nameGap: 30 },
      yAxis: { type: 'value', name: 'ms until reached', min: 0 },
      series: [
        solid('50% of members', p50, BLUE),
        solid('99% of members', p99, RED),
        fit(`fit ${round(c50, 1)}·log2(N)`, c50, BLUE),
        fit(`fit ${round(c99, 1)}·log2(N)`, c99, RED),
      ],
    }),
  }
}

/** False suspicions or deaths per member-hour against loss, Lifeguard on and off. */
function falseChart(results: Results, what: 'falseSuspicions' | 'falseDeaths'): Chart {
  const { loss } = results.plan
  const runs = runsOf(results, 'loss')
  const rate = (lifeguard: boolean): Array<[number, number]> =>
    loss.losses
      .map((p) => runs.filter((r) => r.loss === p && r.lifeguard === lifeguard))
      .filter((rs) => rs.length > 0)
      .map((rs) => [round(rs[0].loss * 100, 1), round(perMemberHour(rs, what), 3)])
  const noun = what === 'falseSuspicions' ? 'suspicions' : 'deaths'
  const subtitle =
    `Simulator, N = ${loss.nodes}, every member alive, each packet lost at random with the given probability; ` +
    `${loss.seconds} s of virtual time × ${loss.seeds} seed(s) per point. A false ${noun === 'suspicions' ? 'suspicion' : 'death'} ` +
    `is a member marking a live member ${noun === 'suspicions' ? 'suspect' : 'dead'}. Lifeguard off = plain SWIM: no local ` +
    `health scaling, no nacks, fixed suspicion timeout.`
  const series = (name: string, lifeguard: boolean, color: string): SeriesOption => ({
    type: 'line',
    name,
    data: rate(lifeguard),
    lineStyle: { color, width: 2.5, type: lifeguard ? 'solid' : 'dashed' },
    itemStyle: { color },
    symbolSize: 8,
  })
  return {
    id: what === 'falseSuspicions' ? 'false-suspicions' : 'false-deaths',
    headline: true,
    option: frame(`False ${noun} under message loss`, subtitle, {
      xAxis: { type: 'value', name: 'packet loss (%)', nameLocation: 'middle', nameGap: 30, min: 0, max: 30 },
      yAxis: { type: 'value', name: `false ${noun} / member / hour`, min: 0 },
      series: [series('Lifeguard on', true, BLUE), series('Lifeguard off (plain SWIM)', false, RED)],
    }),
  }
}

function clusterFrame(results: Results, title: string, subtitle: string, rest: EChartsOption): EChartsOption {
  const sizes = results.cluster.map((c) => `N = ${c.nodes}`)
  return frame(title, subtitle, {
    xAxis: { type: 'category', data: sizes, name: 'real agents', nameLocation: 'middle', nameGap: 30 },
    ...rest,
  })
}

function bar(name: string, data: Array<number | null>, color: string, extra: Partial<SeriesOption> = {}): SeriesOption {
  return {
    type: 'bar',
    name,
    data,
    itemStyle: { color },
    label: { show: true, position: 'top', fontSize: 11 },
    ...extra,
  } as SeriesOption
}

function clusterNote(results: Results): string {
  const c = results.cluster[0]
  const env = results.environment
  return (
    `Real murmur agent processes (libp2p over TCP + Noise + Yamux) on 127.0.0.1, ${c?.profile ?? 'lan'} profile, ` +
    `on one machine with ${env.cores} cores (${env.cpus}).`
  )
}

/** Real cluster: join convergence and detection of a SIGKILLed agent. */
export function clusterTimesChart(results: Results): Chart {
  const cs = results.cluster
  const subtitle =
    `${clusterNote(results)} Join: agents started 4 at a time, each joining through the first (process start-up, ` +
    `which dominates on 2 cores, is in summary.md, not here); join convergence = from the last agent ready until every agent sees every other one alive. Detection: one agent SIGKILLed, time until ` +
    `a survivor suspects it, the first survivor declares it dead, and all do.`
  const s = (f: (c: ClusterResult) => number | null) => cs.map((c) => sec(f(c)))
  return {
    id: 'cluster-times',
    headline: true,
    option: clusterFrame(results, 'Real cluster: join and failure detection', subtitle, {
      yAxis: { type: 'value', name: 'seconds', min: 0 },
      series: [
        bar(
          'join convergence',
          s((c) => c.joinConvergenceMs),
          GREEN,
        ),
        bar(
          'first suspicion',
          s((c) => c.firstSuspicionMs),
          ORANGE,
        ),
        bar(
          'first declared dead',
          s((c) => c.firstDetectionMs),
          BLUE,
        ),
        bar(
          'all declared dead',
          s((c) => c.fullDetectionMs),
          RED,
        ),
      ],
    }),
  }
}

/** Real cluster: CPU and RSS of one agent. */
export function clusterResourcesChart(results: Results): Chart {
  const cs = results.cluster
  const window = cs[0]?.windowSeconds ?? results.plan.cluster.windowSeconds
  const subtitle =
    `${clusterNote(results)} CPU: user + system time from /proc/<pid>/stat over a ${window} s steady-state window, ` +
    `in % of one core (mean and busiest agent). Memory: VmRSS of each agent at the end of the window.`
  return {
    id: 'cluster-resources',
    headline: false,
    option: clusterFrame(results, 'Real cluster: CPU and memory per agent', subtitle, {
      yAxis: [
        { type: 'value', name: 'CPU % of one core', min: 0 },
        { type: 'value', name: 'RSS (MB)', min: 0 },
      ],
      series: [
        bar(
          'CPU mean',
          cs.map((c) => c.cpuPercentMean),
          BLUE,
        ),
        bar(
          'CPU max',
          cs.map((c) => c.cpuPercentMax),
          '#63b3ed',
        ),
        bar(
          'RSS mean',
          cs.map((c) => c.rssMBMean),
          ORANGE,
          { yAxisIndex: 1 } as Partial<SeriesOption>,
        ),
        bar(
          'RSS max',
          cs.map((c) => c.rssMBMax),
          '#f6ad55',
          { yAxisIndex: 1 } as Partial<SeriesOption>,
        ),
      ],
    }),
  }
}

/** Real cluster: membership bytes per node per second. */
export function clusterTrafficChart(results: Results): Chart {
  const cs = results.cluster
  const subtitle =
    `${clusterNote(results)} Membership protocol bytes per agent per second over the steady-state window, from each ` +
    `agent's counters (GET /v1/info stats.bytesOut / bytesIn): the engine's messages, before Noise and Yamux framing.`
  return {
    id: 'cluster-traffic',
    headline: false,
    option: clusterFrame(results, 'Real cluster: bytes per node per second', subtitle, {
      yAxis: { type: 'value', name: 'bytes / node / s', min: 0 },
      series: [
        bar(
          'sent',
          cs.map((c) => c.bytesOutPerNodePerSecond),
          BLUE,
        ),
        bar(
          'received',
          cs.map((c) => c.bytesInPerNodePerSecond),
          GREEN,
        ),
      ],
    }),
  }
}

/** Every chart of the report, in page order. Cluster charts only when there are cluster results. */
export function buildCharts(results: Results, h: Headline): Chart[] {
  const charts: Chart[] = []
  // A run of one part only (--only cluster, --only netns) has no simulator runs: no empty charts for them.
  if (results.sim.length > 0 || results.netns === undefined) {
    charts.push(
      detectionChart(results, h),
      loadChart(results),
      disseminationChart(results),
      falseChart(results, 'falseSuspicions'),
      falseChart(results, 'falseDeaths'),
    )
  }
  if (results.cluster.length > 0) {
    charts.push(clusterTimesChart(results), clusterResourcesChart(results), clusterTrafficChart(results))
  }
  charts.push(...netnsCharts(results.netns))
  return charts
}

/** Number of points a chart plots, summed over its series (0 = an empty chart). */
export function pointCount(chart: Chart): number {
  const series = chart.option.series
  const list = Array.isArray(series) ? series : series ? [series] : []
  return list.reduce((a, s) => a + (Array.isArray(s.data) ? s.data.filter((d) => d !== null).length : 0), 0)
}
