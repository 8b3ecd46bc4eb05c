/** One process's memory as Node and V8 see it (no I/O): used by memory-probe.ts and the embedded run. */
import { getHeapCodeStatistics, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

export interface MemoryReading {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /** Used bytes per V8 heap space (new_space, old_space, code_space, ...). */
  spaces: Record<string, number>
  /** Bytecode and metadata of compiled functions, and external script source. */
  code: { bytecodeAndMetadata: number; externalScriptSource: number }
  /** Memory V8 itself allocated with malloc (compiler and parser zones, outside the JS heap). */
  malloced: number
}

export function memoryReading(): MemoryReading {
  const spaces: Record<string, number> = {}
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = s.space_used_size
  const code = getHeapCodeStatistics()
  return {
    ...process.memoryUsage(),
    spaces,
    code: {
      bytecodeAndMetadata: code.bytecode_and_metadata_size,
      externalScriptSource: code.external_script_source_size,
    },
    malloced: getHeapStatistics().malloced_memory,
  }
}

/**
 * A full garbage collection, twice (the first pass can leave what only the second finds
 * unreachable: weak references, finalizers); false when the process runs without --expose-gc.
 */
export function fullGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return false
  gc()
  gc()
  return true
}
