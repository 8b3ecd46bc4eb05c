import { spawn } from 'node:child_process'
import type { AgentEvent } from './model.ts'

/** Longest an event handler may run before it is killed. */
export const HANDLER_TIMEOUT_MS = 30_000
/** Events waiting for the handler; past this the oldest are dropped (and counted). */
export const HANDLER_QUEUE_MAX = 1024

/**
 * Serf-style event handlers: `sh -c <cmd>` once per event, in order, one at a time, with the
 * event as JSON on stdin and MURMUR_EVENT (plus MURMUR_MEMBER_ID for member events) in the
 * environment. A slow handler delays later events, never the agent; a stuck one is killed.
 */
export class EventHandlerRunner {
  private readonly queue: AgentEvent[] = []
  private running = false
  dropped = 0
  failures = 0

  constructor(
    private readonly command: string,
    private readonly onError: (message: string) => void,
  ) {}

  push(e: AgentEvent): void {
    if (this.queue.length >= HANDLER_QUEUE_MAX) {
      this.queue.shift()
      this.dropped++
    }
    this.queue.push(e)
    if (!this.running) void this.drain()
  }

  /** Resolves once every queued event has been handled. */
  async idle(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while ((this.running || this.queue.length > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  private async drain(): Promise<void> {
    this.running = true
    for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) await this.run(e)
    this.running = false
  }

  private run(e: AgentEvent): Promise<void> {
    return new Promise((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, MURMUR_EVENT: e.event }
      if ('id' in e) env.MURMUR_MEMBER_ID = e.id
      // the handler's stdout goes to our stderr: our stdout is the --json event stream, one JSON
      // object per line, which a handler's output must not break (Serf logs it the same way)
      const child = spawn('sh', ['-c', this.command], { env, stdio: ['pipe', process.stderr, 'inherit'] })
      const timer = setTimeout(() => child.kill('SIGKILL'), HANDLER_TIMEOUT_MS)
      child.stdin.on('error', () => {}) // a handler that does not read stdin is fine
      child.stdin.end(`${JSON.stringify(e)}\n`)
      child.on('error', (err) => {
        this.failures++
        this.onError(`event handler could not start: ${err.message}`)
      })
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        if (code !== 0) {
          this.failures++
          this.onError(`event handler for ${e.event} exited with ${signal ?? `code ${code}`}`)
        }
        resolve()
      })
    })
  }
}

/** A query as the event handler gets it on stdin (`MURMUR_EVENT=query`). */
export interface QueryEvent {
  event: 'query'
  time: string
  /** The query's id in the cluster: origin/incarnation/seq. */
  id: string
  origin: string
  name: string
  payload: string
}

/**
 * Answers a query with the event handler, as Serf does: `sh -c <cmd>` with the query as JSON on
 * stdin and MURMUR_EVENT=query, MURMUR_QUERY_NAME and MURMUR_QUERY_ORIGIN in the environment; its
 * stdout, cut at `maxBytes`, is the answer. No answer when it prints nothing, fails, or is still
 * running when `signal` aborts (the query's deadline), which kills it.
 */
export function runQueryHandler(
  command: string,
  e: QueryEvent,
  maxBytes: number,
  signal: AbortSignal,
  onError: (message: string) => void,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined)
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MURMUR_EVENT: 'query',
      MURMUR_QUERY_NAME: e.name,
      MURMUR_QUERY_ORIGIN: e.origin,
    }
    const child = spawn('sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'inherit'] })
    const chunks: Buffer[] = []
    let size = 0
    let truncated = false
    child.stdout.on('data', (c: Buffer) => {
      if (size >= maxBytes) {
        truncated = true
        return // keep reading (a handler blocked on a full pipe would never exit), keep nothing
      }
      const keep = c.subarray(0, maxBytes - size)
      truncated ||= keep.byteLength < c.byteLength
      chunks.push(keep)
      size += keep.byteLength
    })
    const kill = () => child.kill('SIGKILL')
    signal.addEventListener('abort', kill, { once: true })
    child.stdin.on('error', () => {})
    child.stdin.end(`${JSON.stringify(e)}\n`)
    child.on('error', (err) => onError(`query handler could not start: ${err.message}`))
    child.on('close', (code, sig) => {
      signal.removeEventListener('abort', kill)
      if (signal.aborted) return resolve(undefined)
      if (code !== 0) {
        onError(`query handler for "${e.name}" exited with ${sig ?? `code ${code}`}: no answer`)
        return resolve(undefined)
      }
      if (truncated) onError(`query handler for "${e.name}" printed more than ${maxBytes} bytes: answer cut`)
      resolve(size === 0 ? undefined : new Uint8Array(Buffer.concat(chunks)))
    })
  })
}
