/**
 * The real-network part of the report: its figures (computed once from results.json), its tables
 * (report.html and the "Real network" section of docs/bench/summary.md) and its charts. Nothing
 * here is typed in by hand.
 */
import type { EChartsOption } from 'echarts'
import { type Chart, frame } from './charts.ts'
import { quantile, round } from './stats.ts'
import { markdownTable, type Table } from './summary.ts'
import type { CutMode, NetnsLossRun, NetnsResults } from './types.ts'

export interface NetnsPartitionFigures {
  mode: CutMode
  runs: number
  cutSeconds: number
  /** Runs that reached one view within the heal bound. */
  healed: number
  healMedianMs: number | null
  healMaxMs: number | null
  firstContactMedianMs: number | null
  /** Each side declared the whole other side dead (last pair), median over runs. */
  detectMedianMs: number | null
  falseDeathsDuringCut: number
  falseDeathsAfterHeal: number
  falseSuspicionsAfterHeal: number
}

export interface NetnsHeadline {
  nodes: number
  profile: string
  partition: NetnsPartitionFigures[]
  loss: NetnsLossRun[]
  /** Lowest and highest 1-minute load average seen at the start and end of the runs. */
  load1: { min: number; max: number } | null
}

const median = (xs: number[]) => (xs.length === 0 ? null : round(quantile(xs, 0.5), 0))
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)

export function netnsHeadline(r: NetnsResults): NetnsHeadline {
  const partition = r.plan.partition.modes.map((mode): NetnsPartitionFigures => {
    const runs = r.partition.filter((p) => p.mode === mode)
    const heal = runs.map((p) => p.healMs).filter((x): x is number => x !== null)
    const contact = runs.map((p) => p.firstContactMs).filter((x): x is number => x !== null)
    return {
      mode,
      runs: runs.length,
      cutSeconds: runs.length > 0 ? round(runs[0].cutMs / 1000, 0) : r.plan.partition.cutSeconds,
      healed: heal.length,
      healMedianMs: median(heal),
      healMaxMs: heal.length === 0 ? null : Math.max(...heal),
      firstContactMedianMs: median(contact),
      detectMedianMs: median(runs.map((p) => p.detectLastMs)),
      falseDeathsDuringCut: sum(runs.map((p) => p.falseDeaths.duringCut)),
      falseDeathsAfterHeal: sum(runs.map((p) => p.falseDeaths.afterHeal)),
      falseSuspicionsAfterHeal: sum(runs.map((p) => p.falseSuspicions.afterHeal)),
    }
  })
  const loads = [...r.partition, ...r.loss].flatMap((x) => [x.load.before[0], x.load.after[0]])
  return {
    nodes: r.plan.nodes,
    profile: r.plan.profile,
    partition,
    loss: [...r.loss].sort((a, b) => a.loss - b.loss),
    load1: loads.length === 0 ? null : { min: Math.min(...loads), max: Math.max(...loads) },
  }
}

const s = (ms: number | null) => (ms === null ? 'n/a' : `${round(ms / 1000, 1)} s`)
const n0 = (x: number) => String(round(x, 0))
const CUTS: Record<CutMode, string> = {
  silent: 'silent (DROP on INPUT)',
  error: 'error (DROP on INPUT and OUTPUT)',
}

/** The part's tables; none when it was skipped or nothing ran. */
export function netnsTables(r: NetnsResults): Table[] {
  const h = netnsHeadline(r)
  const where = `${h.nodes} agents in network namespaces, ${h.profile} profile`
  const tables: Table[] = []
  const ran = h.partition.filter((p) => p.runs > 0)
  if (ran.length > 0) {
    tables.push({
      title: `Partition and heal (${where}, halves cut apart for ${ran[0].cutSeconds} s)`,
      header: [
        'cut',
        'runs',
        'other side all dead (median)',
        'first contact after heal (median)',
        'one view after heal: median',
        'max',
        'false deaths during cut',
        'false deaths after heal',
        'false suspicions after heal',
      ],
      rows: ran.map((p) => [
        CUTS[p.mode],
        p.healed === p.runs ? String(p.runs) : `${p.runs} (${p.runs - p.healed} not healed)`,
        s(p.detectMedianMs),
        s(p.firstContactMedianMs),
        s(p.healMedianMs),
        s(p.healMaxMs),
        String(p.falseDeathsDuringCut),
        String(p.falseDeathsAfterHeal),
        String(p.falseSuspicionsAfterHeal),
      ]),
      note:
        `A false verdict is one about a member of one's own side (summed over the runs); verdicts after the heal are ` +
        `counted until the longest suspicion timeout has passed after one view. A run not healed within ` +
        `${r.plan.partition.healBoundSeconds} s is left out of the median and max.`,
    })
  }
  if (h.loss.length > 0) {
    const window = h.loss[0].windowSeconds
    tables.push({
      title: `Packet loss (${where}, ${round(window, 0)} s steady window, then kill -9 of one agent)`,
      header: [
        'loss',
        'suspicions',
        'deaths',
        'first dead after kill',
        'all dead after kill',
        'IP bytes out / node / s',
        'IP packets out / node / s',
        'IP bytes in / node / s',
        'payload bytes out / node / s',
      ],
      rows: h.loss.map((l) => [
        `${round(l.loss * 100, 0)}%`,
        String(l.suspicions),
        String(l.deaths),
        s(l.firstDetectionMs),
        s(l.fullDetectionMs),
        n0(l.perNodePerSecond.wireTxBytes),
        String(round(l.perNodePerSecond.wireTxPackets, 1)),
        n0(l.perNodePerSecond.wireRxBytes),
        n0(l.perNodePerSecond.payloadBytesOut),
      ]),
      note:
        'Loss: iptables `-m statistic --mode random` DROP on each agent’s INPUT, so each packet is lost with that ' +
        'probability on arrival (TCP retransmits it). Suspicions and deaths: member:suspect and member:dead events ' +
        'in the window, all false (nobody failed). IP figures: the agent’s eth0 counters (`ip -s link`: Ethernet ' +
        'frames with IP, TCP, Noise and Yamux headers; bytes in count packets the loss rule then drops). Payload: ' +
        'the engine’s own counter (GET /v1/info stats.bytesOut), membership messages before Noise/Yamux framing.',
    })
  }
  return tables
}

/** One line saying where the part's figures come from (it can be run alone, so it says its own). */
export function netnsProvenance(r: NetnsResults, command: string): string {
  if (r.skipped !== undefined) return `The real-network part did not run: ${r.skipped}.`
  const h = netnsHeadline(r)
  const load =
    h.load1 === null
      ? ''
      : ` The 1-minute load average was ${h.load1.min} to ${h.load1.max} during the runs (other work shared the ` +
        `machine's cores), so the times are noisy.`
  return (
    `Generated by \`${command}\` on ${r.date} (commit ${r.commit ?? 'unknown'}` +
    `${r.dirty ? ', with uncommitted changes under packages/' : ''}): ${r.partition.length} partition runs and ` +
    `${r.loss.length} loss runs, each on a fresh cluster; ${round(r.wallSeconds / 60, 1)} min.${load}`
  )
}

export const SECTION_BEGIN = '<!-- real-network: begin -->'
export const SECTION_END = '<!-- real-network: end -->'

/** The "Real network" section of summary.md, between markers so a later run can replace it alone. */
export function netnsMarkdown(r: NetnsResults, command: string): string {
  const out = [
    SECTION_BEGIN,
    '## Real network',
    '',
    `${netnsProvenance(r, command)} Generated section: rerun the command rather than edit it.`,
    '',
  ]
  for (const t of netnsTables(r)) {
    out.push(`### ${t.title}`, '', ...markdownTable(t), '')
    if (t.note) out.push(t.note, '')
  }
  out.push(SECTION_END)
  return out.join('\n')
}

/** The section of an existing summary.md, or undefined. */
export function findSection(markdown: string): string | undefined {
  const a = markdown.indexOf(SECTION_BEGIN)
  const b = markdown.indexOf(SECTION_END, a)
  return a < 0 || b < 0 ? undefined : markdown.slice(a, b + SECTION_END.length)
}

/** `markdown` with its real-network section replaced by `section` (appended when it has none). */
export function mergeSection(markdown: string, section: string): string {
  const old = findSection(markdown)
  if (old !== undefined) return markdown.replace(old, () => section)
  return `${markdown.trimEnd()}\n\n${section}\n`
}

const BLUE = '#2b6cb0'
const RED = '#c53030'
const GREEN = '#2f855a'
const ORANGE = '#c05621'

function bars(name: string, data: Array<number | null>, color: string, yAxisIndex = 0) {
  return {
    type: 'bar' as const,
    name,
    data,
    yAxisIndex,
    itemStyle: { color },
    label: { show: true, position: 'top' as const, fontSize: 11 },
  }
}

/** Real network charts: heal per cut mode, and traffic and detection per loss rate (when they ran). */
export function netnsCharts(r: NetnsResults | undefined): Chart[] {
  if (r === undefined || r.skipped !== undefined) return []
  const h = netnsHeadline(r)
  const charts: Chart[] = []
  const sec = (ms: number | null) => (ms === null ? null : round(ms / 1000, 1))
  const where = `${h.nodes} murmur agents, each in a network namespace of its own on one bridge, ${h.profile} profile.`
  const ran = h.partition.filter((p) => p.runs > 0)
  if (ran.length > 0) {
    const option: EChartsOption = frame(
      'Real network: partition and heal',
      `${where} The halves are cut apart with iptables for ${ran[0].cutSeconds} s (silent: DROP on INPUT; error: ` +
        `DROP on INPUT and OUTPUT, so sends fail), then healed. Medians over ${ran[0].runs} run(s) per mode.`,
      {
        xAxis: { type: 'category', data: ran.map((p) => CUTS[p.mode]) },
        yAxis: { type: 'value', name: 'seconds', min: 0 },
        series: [
          bars(
            'other side all dead, from the cut',
            ran.map((p) => sec(p.detectMedianMs)),
            BLUE,
          ),
          bars(
            'first contact, from the heal',
            ran.map((p) => sec(p.firstContactMedianMs)),
            GREEN,
          ),
          bars(
            'one view, from the heal (median)',
            ran.map((p) => sec(p.healMedianMs)),
            ORANGE,
          ),
          bars(
            'one view, from the heal (max)',
            ran.map((p) => sec(p.healMaxMs)),
            RED,
          ),
        ],
      },
    )
    charts.push({ id: 'netns-partition', headline: false, option })
  }
  if (h.loss.length > 0) {
    const option: EChartsOption = frame(
      'Real network: traffic and crash detection under packet loss',
      `${where} Each packet arriving at an agent is dropped with the given probability (iptables statistic). ` +
        `Bytes per agent per second over the steady window: IP (eth0 counters, every header) and the engine's ` +
        `payload; then one agent is killed with SIGKILL and every other must declare it dead.`,
      {
        xAxis: { type: 'category', data: h.loss.map((l) => `${round(l.loss * 100, 0)}% loss`) },
        yAxis: [
          { type: 'value', name: 'bytes / node / s', min: 0 },
          { type: 'value', name: 'seconds', min: 0 },
        ],
        series: [
          bars(
            'IP bytes out',
            h.loss.map((l) => n(l.perNodePerSecond.wireTxBytes)),
            BLUE,
          ),
          bars(
            'payload bytes out',
            h.loss.map((l) => n(l.perNodePerSecond.payloadBytesOut)),
            GREEN,
          ),
          bars(
            'all declared dead after kill -9 (s)',
            h.loss.map((l) => sec(l.fullDetectionMs)),
            RED,
            1,
          ),
        ],
      },
    )
    charts.push({ id: 'netns-loss', headline: false, option })
  }
  return charts
}

const n = (x: number) => round(x, 0)
