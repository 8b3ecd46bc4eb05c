import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { AgentEvent } from './model.ts'

/**
 * The `murmur` entry point: the bundle (dist/bundle/bin.js, built by scripts/bundle.mjs after
 * `tsc -b`; it starts in about a third of the time), else the compiled dist/src/bin.js. The same
 * relative URL finds the bundle from dist/src/ and from inside the bundle's own chunks.
 */
const BUNDLED_BIN = fileURLToPath(new URL('../bundle/bin.js', import.meta.url))
export const BIN = existsSync(BUNDLED_BIN) ? BUNDLED_BIN : fileURLToPath(new URL('./bin.js', import.meta.url))

export interface AgentProcess {
  name: string
  child: ChildProcess
  pid: number
  id: string
  addrs: string[]
  api: string
  /** Every event it printed, in order. */
  events: AgentEvent[]
  exited: Promise<number | null>
}

/**
 * Spawns `murmur agent --json` and resolves once it printed `ready`. Every later event goes to
 * `onEvent`. Rejects (and kills the child) when it exits or stays silent past `timeoutMs`.
 * `wrap` is a command the agent runs under, e.g. `['ip', 'netns', 'exec', 'ns1']`; it must exec
 * node in place (as `ip netns exec` does), so that `pid` stays the agent's own.
 */
export function spawnAgent(
  name: string,
  args: string[],
  onEvent: (agent: AgentProcess, e: AgentEvent) => void,
  timeoutMs = 20_000,
  wrap: readonly string[] = [],
): Promise<AgentProcess> {
  const [command, ...prefix] = [...wrap, process.execPath]
  const child = spawn(command!, [...prefix, BIN, 'agent', '--json', '--name', name, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    let agent: AgentProcess | undefined
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`agent ${name} printed no ready event within ${timeoutMs} ms; stderr: ${stderr.trim()}`))
    }, timeoutMs)
    void exited.then((code) => {
      clearTimeout(timer)
      if (agent === undefined)
        reject(new Error(`agent ${name} exited with code ${code} before it was ready: ${stderr.trim()}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: AgentEvent
      try {
        e = JSON.parse(line) as AgentEvent
      } catch {
        return
      }
      if (agent === undefined && e.event === 'ready') {
        clearTimeout(timer)
        agent = { name, child, pid: child.pid!, id: e.id, addrs: e.addrs, api: e.api, events: [], exited }
        resolve(agent)
      }
      if (agent !== undefined) {
        agent.events.push(e)
        onEvent(agent, e)
      }
    })
  })
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopAgent(agent: AgentProcess, graceMs = 3000): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return
  agent.child.kill('SIGTERM')
  const timer = setTimeout(() => agent.child.kill('SIGKILL'), graceMs)
  await agent.exited
  clearTimeout(timer)
}
