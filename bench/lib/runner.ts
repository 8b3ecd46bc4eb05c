import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { simArgs } from './plan.ts'
import type { SimResult, SimRun } from './types.ts'

/** The compiled simulator benchmark (bench/dist/sim.js) next to this module's folder. */
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
  // Large clusters need more than the default old-space limit.
  const heap = run.nodes >= 3000 ? ['--max-old-space-size=8192'] : []
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

/**
 * Runs `fn` over `items` with at most `concurrency` at once; settles every item (a failure does
 * not stop the others) and reports each as it ends.
 */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
  onSettled?: (item: T, result: PromiseSettledResult<R>, done: number) => void,
): Promise<Array<PromiseSettledResult<R>>> {
  const out: Array<PromiseSettledResult<R>> = new Array(items.length)
  let next = 0
  let done = 0
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]) }
      } catch (reason) {
        out[i] = { status: 'rejected', reason }
      }
      done++
      onSettled?.(items[i], out[i], done)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker))
  return out
}
