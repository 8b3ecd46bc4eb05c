/**
 * Preloaded (`node --import bench/dist/lib/memory-probe.js ...`) into every process the memory
 * benchmark measures, agents and bare libp2p nodes alike, so that both carry the same probe. Over
 * the IPC channel the benchmark opens, it answers:
 * - `{ probe: 'memory' }` with a MemoryReading, then another after a full garbage collection when
 *   the process runs with --expose-gc (`afterGc`, else null);
 * - `{ probe: 'snapshot', path }` by writing a heap snapshot there (v8.writeHeapSnapshot).
 * The process exits when the channel closes: a benchmark that dies leaves nothing running.
 */
import { writeHeapSnapshot } from 'node:v8'
import { fullGc, type MemoryReading, memoryReading } from './memory-reading.ts'

export interface ProbeAnswer {
  probe: 'memory'
  pid: number
  reading: MemoryReading
  afterGc: MemoryReading | null
}

export type ProbeRequest = { probe: 'memory' } | { probe: 'snapshot'; path: string }

if (process.send !== undefined) {
  process.on('message', (m: ProbeRequest) => {
    if (m?.probe === 'memory') {
      const reading = memoryReading()
      const afterGc = fullGc() ? memoryReading() : null
      process.send?.({ probe: 'memory', pid: process.pid, reading, afterGc } satisfies ProbeAnswer)
    } else if (m?.probe === 'snapshot') {
      process.send?.({ probe: 'snapshot', path: writeHeapSnapshot(m.path) })
    }
  })
  process.once('disconnect', () => process.exit(0))
}
