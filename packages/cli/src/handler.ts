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
      const child = spawn('sh', ['-c', this.command], { env, stdio: ['pipe', 'inherit', 'inherit'] })
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
