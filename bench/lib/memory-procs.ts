/**
 * The processes the memory benchmark measures: `murmur agent`s and bare libp2p nodes
 * (bench/bare-node.ts), each started with the same Node flags, the memory probe preloaded
 * (memory-probe.ts) and an IPC channel to ask it. Every process started here is SIGKILLed by PID
 * when the benchmark exits, whatever the reason (killAll() on exit, SIGINT, SIGTERM).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { BIN } from '@murmur/cli'
import type { ProbeAnswer } from './memory-probe.ts'

export const PROBE = fileURLToPath(new URL('./memory-probe.js', import.meta.url))
export const BARE_NODE = fileURLToPath(new URL('../bare-node.js', import.meta.url))
/** bench/dist/bundle/: bare-node.js bundled as `murmur` is (bundleBareNode()). */
export const BARE_BUNDLE_DIR = fileURLToPath(new URL('../bundle/', import.meta.url))
/** Node flags of every measured process: the probe, and gc() for its after-GC reading. */
export const NODE_FLAGS = ['--expose-gc', '--import', PROBE]

/** An agent, a bare node bundled as the agent is, or the same bare node loaded module by module. */
export type Kind = 'agent' | 'bare' | 'bare-unbundled'

export interface Measured {
  kind: Kind
  /** The agent's --name; undefined for a bare node. */
  name?: string
  child: ChildProcess
  pid: number
  id: string
  addrs: string[]
  /** The agent's control API (host:port); undefined for a bare node. */
  api?: string
  exited: Promise<number | null>
}

const running = new Set<ChildProcess>()

/** SIGKILLs every process started here that has not exited. Safe to call more than once. */
export function killAll(): void {
  for (const child of running) kill(child)
  running.clear()
}

function kill(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

let hooked = false
function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', killAll)
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll()
      process.exit(130)
    })
  }
}

/** SIGKILLs one process and waits until it is gone. */
export async function stop(p: Measured): Promise<void> {
  kill(p.child)
  await p.exited
  running.delete(p.child)
}

/** `node bin agent --json` on 127.0.0.1 (any port, TCP only, so no relay server), control API on any port. */
export function spawnMeasuredAgent(name: string, extra: string[], bin = BIN, timeoutMs = 60_000): Promise<Measured> {
  const args = [bin, 'agent', '--json', '--name', name, '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0']
  return spawnMeasured('agent', [...args, ...extra], timeoutMs).then((p) => ({ ...p, name }))
}

/** A bare node: bundled (run bundleBareNode() first) unless `unbundled`. */
export function spawnBareNode(unbundled = false, timeoutMs = 60_000): Promise<Measured> {
  if (unbundled) return spawnMeasured('bare-unbundled', [BARE_NODE], timeoutMs)
  return spawnMeasured('bare', [`${BARE_BUNDLE_DIR}bare-node.js`], timeoutMs)
}

/**
 * Bundles bench/dist/bare-node.js into BARE_BUNDLE_DIR with the options of the CLI's bundle
 * (packages/cli/scripts/bundle.mjs: ESM chunks for Node 22, a require() for CommonJS
 * dependencies), and its esbuild: a bare node loads its code as `murmur agent` does.
 */
export async function bundleBareNode(): Promise<void> {
  const fromCli = createRequire(fileURLToPath(import.meta.resolve('@murmur/cli')))
  const esbuild = fromCli('esbuild') as { build(options: object): Promise<unknown> }
  await esbuild.build({
    entryPoints: { 'bare-node': BARE_NODE },
    outdir: BARE_BUNDLE_DIR,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node22',
    banner: {
      js: "import { createRequire as __murmurCreateRequire } from 'node:module'; const require = __murmurCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
  })
}

/** Starts `node NODE_FLAGS args` and resolves at its {"event":"ready"} line; its later stdout is drained. */
function spawnMeasured(kind: Kind, args: string[], timeoutMs: number): Promise<Measured> {
  hookExit()
  const child = spawn(process.execPath, [...NODE_FLAGS, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  running.add(child)
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  void exited.then(() => running.delete(child))
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    let ready = false
    const timer = setTimeout(() => {
      kill(child)
      reject(new Error(`${kind} printed no ready line within ${timeoutMs} ms; stderr: ${stderr.trim()}`))
    }, timeoutMs)
    void exited.then((code) => {
      clearTimeout(timer)
      if (!ready) reject(new Error(`${kind} exited with code ${code} before it was ready: ${stderr.trim()}`))
    })
    // read every line, ready or not: a full pipe would block the agent's writes
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (ready || !line.includes('"event":"ready"')) return
      const e = JSON.parse(line) as { id: string; addrs: string[]; api?: string }
      ready = true
      clearTimeout(timer)
      resolve({ kind, child, pid: child.pid!, id: e.id, addrs: e.addrs, api: e.api, exited })
    })
  })
}

/** Sends `request` over IPC and resolves with the first message `match` accepts; rejects after `timeoutMs`. */
export function ask<T>(p: Measured, request: object, match: (m: unknown) => m is T, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!match(m)) return
      done()
      resolve(m)
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${p.kind} pid ${p.pid} did not answer ${JSON.stringify(request)} within ${timeoutMs} ms`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      p.child.off('message', onMessage)
    }
    p.child.on('message', onMessage)
    p.child.send(request)
  })
}

export function askMemory(p: Measured): Promise<ProbeAnswer> {
  return ask(p, { probe: 'memory' }, (m): m is ProbeAnswer => (m as ProbeAnswer | null)?.probe === 'memory')
}

export const EMBEDDED = fileURLToPath(new URL('../memory-embedded.js', import.meta.url))

/**
 * Runs bench/memory-embedded.ts in a fresh process (--expose-gc) and parses the JSON it prints;
 * SIGKILLed past `timeoutMs`.
 */
export function runEmbeddedChild<T>(args: string[], timeoutMs: number): Promise<T> {
  hookExit()
  const child = spawn(process.execPath, ['--expose-gc', EMBEDDED, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => kill(child), timeoutMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      if (code !== 0) {
        reject(new Error(`memory-embedded ${args.join(' ')} ended with ${signal ?? `code ${code}`}: ${stderr.trim()}`))
        return
      }
      try {
        resolve(JSON.parse(stdout) as T)
      } catch (err) {
        reject(new Error(`memory-embedded ${args.join(' ')} printed no JSON: ${(err as Error).message}`))
      }
    })
  })
}

/**
 * The files next to `bin` (the bundle's chunk names carry content hashes): compared at the start
 * and the end of a run, they tell whether the agent's code was rebuilt in between.
 */
export function binFingerprint(bin: string): string {
  return readdirSync(dirname(bin))
    .filter((f) => f.endsWith('.js'))
    .sort()
    .join(' ')
}
