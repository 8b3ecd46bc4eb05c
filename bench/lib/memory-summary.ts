/** The memory benchmark's figures: per-process rows in MB, and their medians, maxima and ratios (pure). */
import type { Kind } from './memory-procs.ts'
import type { MemoryReading } from './memory-reading.ts'
import { quantile, round } from './stats.ts'

const MB = 2 ** 20

/** One measured process at the end of its window. */
export interface ProcessRow {
  kind: Kind
  pid: number
  /** The agent's --name; undefined for a bare node. */
  name?: string
  /** VmRSS from /proc, read before the probe ran: the figure the target is about. */
  rssMB: number
  /**
   * VmRSS split (/proc/<pid>/status): RssAnon is the process's own memory (JS heap, malloc);
   * RssFile is pages of mapped files, the node binary's code mostly, which every Node process
   * on the host shares (counted in each one's RSS, held once).
   */
  rssAnonMB: number
  rssFileMB: number
  /** Remote peers it holds a connection to. */
  peers: number
  /** process.memoryUsage() and V8's spaces as the probe found them, then after a full GC. */
  before: MemoryMB
  afterGc: MemoryMB
}

export interface MemoryMB {
  rssMB: number
  heapUsedMB: number
  heapTotalMB: number
  externalMB: number
  arrayBuffersMB: number
  codeSpaceMB: number
  bytecodeMB: number
  scriptSourceMB: number
  mallocedMB: number
}

export function inMB(r: MemoryReading): MemoryMB {
  const mb = (b: number) => round(b / MB, 2)
  return {
    rssMB: mb(r.rss),
    heapUsedMB: mb(r.heapUsed),
    heapTotalMB: mb(r.heapTotal),
    externalMB: mb(r.external),
    arrayBuffersMB: mb(r.arrayBuffers),
    codeSpaceMB: mb(r.spaces.code_space ?? 0),
    bytecodeMB: mb(r.code.bytecodeAndMetadata),
    scriptSourceMB: mb(r.code.externalScriptSource),
    mallocedMB: mb(r.malloced),
  }
}

export interface Spread {
  median: number
  max: number
  min: number
}

export function spread(xs: readonly number[]): Spread {
  return { median: round(quantile(xs, 0.5), 1), max: round(Math.max(...xs), 1), min: round(Math.min(...xs), 1) }
}

/** Agents against (bundled) bare nodes of one scenario, over every process of every run. */
export interface Comparison {
  processes: { agent: number; bare: number }
  rssMB: { agent: Spread; bare: Spread }
  /** agent / bare of the medians, and of the maxima. */
  rssRatio: { median: number; max: number }
  rssAnonMB: { agent: Spread; bare: Spread }
  rssFileMB: { agent: Spread; bare: Spread }
  heapUsedAfterGcMB: { agent: Spread; bare: Spread }
  heapRatio: { median: number; max: number }
  /** Median over the processes of every field, after GC: where the difference lies. */
  afterGcMedian: { agent: MemoryMB; bare: MemoryMB }
  peers: { agent: Spread; bare: Spread }
  /** The bare node loaded module by module (not bundled), when measured: what packaging alone changes. */
  bareUnbundled?: {
    processes: number
    rssMB: Spread
    rssAnonMB: Spread
    rssFileMB: Spread
    heapUsedAfterGcMB: Spread
    afterGcMedian: MemoryMB
  }
}

export function compare(rows: readonly ProcessRow[]): Comparison {
  const of = (kind: ProcessRow['kind']) => rows.filter((r) => r.kind === kind)
  const agents = of('agent')
  const bares = of('bare')
  const unbundled = of('bare-unbundled')
  const rss = { agent: spread(agents.map((r) => r.rssMB)), bare: spread(bares.map((r) => r.rssMB)) }
  const heap = {
    agent: spread(agents.map((r) => r.afterGc.heapUsedMB)),
    bare: spread(bares.map((r) => r.afterGc.heapUsedMB)),
  }
  const ratio = (a: Spread, b: Spread) => ({ median: round(a.median / b.median, 2), max: round(a.max / b.max, 2) })
  return {
    processes: { agent: agents.length, bare: bares.length },
    rssMB: rss,
    rssRatio: ratio(rss.agent, rss.bare),
    rssAnonMB: { agent: spread(agents.map((r) => r.rssAnonMB)), bare: spread(bares.map((r) => r.rssAnonMB)) },
    rssFileMB: { agent: spread(agents.map((r) => r.rssFileMB)), bare: spread(bares.map((r) => r.rssFileMB)) },
    heapUsedAfterGcMB: heap,
    heapRatio: ratio(heap.agent, heap.bare),
    afterGcMedian: { agent: medianOf(agents.map((r) => r.afterGc)), bare: medianOf(bares.map((r) => r.afterGc)) },
    peers: { agent: spread(agents.map((r) => r.peers)), bare: spread(bares.map((r) => r.peers)) },
    ...(unbundled.length === 0
      ? {}
      : {
          bareUnbundled: {
            processes: unbundled.length,
            rssMB: spread(unbundled.map((r) => r.rssMB)),
            rssAnonMB: spread(unbundled.map((r) => r.rssAnonMB)),
            rssFileMB: spread(unbundled.map((r) => r.rssFileMB)),
            heapUsedAfterGcMB: spread(unbundled.map((r) => r.afterGc.heapUsedMB)),
            afterGcMedian: medianOf(unbundled.map((r) => r.afterGc)),
          },
        }),
  }
}

function medianOf(ms: readonly MemoryMB[]): MemoryMB {
  const keys = Object.keys(ms[0] ?? {}) as Array<keyof MemoryMB>
  return Object.fromEntries(
    keys.map((k) => [
      k,
      round(
        quantile(
          ms.map((m) => m[k]),
          0.5,
        ),
        2,
      ),
    ]),
  ) as unknown as MemoryMB
}

/** What an embedded run reports that the per-node cost is computed from. */
export interface EmbeddedMemory {
  end: MemoryReading
  afterGc: MemoryReading
  samples: ReadonlyArray<{ rssMB: number }>
}

/** (with Murmur − without) / K of one embedded run, in MB per node. */
export interface PerNodeCost {
  /** JS heap in use after a full GC: what the service keeps alive. */
  heapUsedAfterGcMB: number
  rssAfterGcMB: number
  /** At the end of the window, before the forced GC: depends on where each heap is in its GC cycle. */
  rssMB: number
  /** Highest RSS of the 10 s samples of the window: the garbage between collections included. */
  rssPeakMB: number
}

export function perNodeCost(k: number, libp2p: EmbeddedMemory, murmur: EmbeddedMemory): PerNodeCost {
  const per = (a: number, b: number) => round((b - a) / MB / k, 2)
  const peak = (m: EmbeddedMemory) => Math.max(...m.samples.map((s) => s.rssMB)) * MB
  return {
    heapUsedAfterGcMB: per(libp2p.afterGc.heapUsed, murmur.afterGc.heapUsed),
    rssAfterGcMB: per(libp2p.afterGc.rss, murmur.afterGc.rss),
    rssMB: per(libp2p.end.rss, murmur.end.rss),
    rssPeakMB: per(peak(libp2p), peak(murmur)),
  }
}
