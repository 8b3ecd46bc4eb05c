import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { simArgs } from './plan.ts'
import type { SimResult, SimRun } from './types.ts'

/** The compiled simulator benchmark (bench/dist/sim.js) next to this module's folder. */
/**
 * A 64 MB young generation for the simulator: its messages and timers are short-lived garbage,
 * and with the default (16 MB) too much of it survives into the old generation, whose collections
 * walk every member table (N=5000: 20.3 s -> 15.5 s of wall time for 60 virtual seconds).
 */
export const SIM_SEMI_SPACE = '--max-semi-space-size=64'

export const SIM_BIN = fileURLToPath(new URL('../sim.js', import.meta.url))

/** Every child this process started and that has not exited yet: killed by PID on exit. */
const children = new Set<ChildProcess>()
let hooked = false

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', killChildren)
}

/** SIGKILLs every simulator child still running (by PID). Safe to call more than once. */
export function killChildren(): void {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
  children.clear()
}

export interface RunOptions {
  /** Kill the run after this long. @default 30 minutes */
  timeoutMs?: number
  /** Path of the simulator CLI. @default SIM_BIN */
  bin?: string
}

/**
 * Runs one simulator benchmark as a child process (each run gets its own heap, so one run's
 * garbage cannot slow the next) and parses the single JSON object it prints.
 */
export function runSim(run: SimRun, options: RunOptions = {}): Promise<SimResult> {
  hookExit()
  const timeoutMs = options.timeoutMs ?? 30 * 60_000
  // Large clusters need more than the default old-space limit (every member holds every other one).
  const heap =
    run.nodes >= 2000 ? [`--max-old-space-size=${Math.ceil(Math.max(4096, estimateMemoryMB(run) * 1.5))}`] : []
  heap.push(SIM_SEMI_SPACE)
  const child = spawn(process.execPath, [...heap, options.bin ?? SIM_BIN, ...simArgs(run)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
    }, timeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      children.delete(child)
      reject(err)
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      children.delete(child)
      const what = `sim ${simArgs(run).join(' ')}`
      if (code !== 0) {
        const why = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit code ${code ?? signal}`
        reject(new Error(`${what}: ${why}; stderr: ${stderr.trim().slice(-600)}`))
        return
      }
      try {
        resolve(parseSimOutput(stdout))
      } catch (err) {
        reject(new Error(`${what}: ${(err as Error).message}; stdout: ${stdout.trim().slice(-300)}`))
      }
    })
  })
}

/**
 * A simulator run's peak memory, roughly: every member keeps a table of every other one, about
 * 150 bytes an entry (measured: 1.6 GB at N = 3,000, 14 GB at N = 10,000), plus the runtime.
 */
export function estimateMemoryMB(run: SimRun): number {
  return 100 + (150 * run.nodes * run.nodes) / 2 ** 20
}

/** The simulator prints one JSON object; tolerate stray lines before it by taking the last object line. */
export function parseSimOutput(stdout: string): SimResult {
  const text = stdout.trim()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    const last = text
      .split('\n')
      .reverse()
      .find((l) => l.trim().startsWith('{'))
    if (last === undefined) throw new Error('no JSON object on stdout')
    value = JSON.parse(last)
  }
  const r = value as Partial<SimResult>
  for (const k of ['nodes', 'scenario', 'seed', 'messagesPerMemberPerSecond', 'bytesPerMemberPerSecond'] as const) {
    if (r[k] === undefined) throw new Error(`result has no field ${k}`)
  }
  return r as SimResult
}

export interface PoolOptions<T, R> {
  /** Items run at once, at most. */
  concurrency: number
  /** What an item holds while it runs (e.g. MB of memory); items start only while the sum fits. */
  weight?: (item: T) => number
  /** The budget for the summed weights. An item heavier than the budget still runs, alone. */
  capacity?: number
  /** Called as each item settles, with the count settled so far. */
  onSettled?: (item: T, result: PromiseSettledResult<R>, done: number) => void
}

/**
 * Runs `fn` over `items`, at most `concurrency` at once and within the weight budget; when the
 * next item does not fit, a later one that does is started instead. Every item is settled (a
 * failure does not stop the others); results come back in the order of `items`.
 */
export function pool<T, R>(
  items: readonly T[],
  fn: (item: T) => Promise<R>,
  options: PoolOptions<T, R>,
): Promise<Array<PromiseSettledResult<R>>> {
  const weight = options.weight ?? (() => 0)
  const capacity = options.capacity ?? Number.POSITIVE_INFINITY
  const out: Array<PromiseSettledResult<R>> = new Array(items.length)
  const pending = items.map((_, i) => i)
  let running = 0
  let held = 0
  let done = 0
  return new Promise((resolve) => {
    const next = (): void => {
      while (running < options.concurrency && pending.length > 0) {
        const k = pending.findIndex((i) => running === 0 || held + weight(items[i]) <= capacity)
        if (k < 0) return
        const [i] = pending.splice(k, 1)
        const w = weight(items[i])
        running++
        held += w
        fn(items[i])
          .then(
            (value): PromiseSettledResult<R> => ({ status: 'fulfilled', value }),
            (reason): PromiseSettledResult<R> => ({ status: 'rejected', reason }),
          )
          .then((r) => {
            out[i] = r
            running--
            held -= w
            done++
            options.onSettled?.(items[i], r, done)
            if (done === items.length) resolve(out)
            else next()
          })
      }
    }
    if (items.length === 0) resolve(out)
    else next()
  })
}
