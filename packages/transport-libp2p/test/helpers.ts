import { setTimeout as delay } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p, PrivateKey, Stream, TypedEventTarget } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import type { MemberState, SwimConfig } from '@murmur/core'
import { createLibp2p } from 'libp2p'
import { type CreateMurmurNodeOptions, createMurmurNode, type MembershipService } from '../src/index.ts'

export type MurmurNode = Libp2p<{ membership: MembershipService }>

/**
 * The 'local' profile shrunk so that a test takes seconds: a probe every 300 ms, suspicion
 * between 3 x 300 ms and twice that (for clusters under 10), gossip every 50 ms.
 */
export const FAST: Partial<SwimConfig> = {
  probeIntervalMs: 300,
  probeTimeoutMs: 150,
  suspicionMult: 3,
  suspicionMaxTimeoutMult: 2,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 3000,
  requestTimeoutMs: 2000,
  leaveTimeoutMs: 2000,
}

/** Every libp2p node a test starts, stopped in afterEach whatever happened. */
export class Nodes {
  private readonly all: Array<{ stop(): void | Promise<void> }> = []

  /** A Murmur node with the 'local' profile and FAST overrides (options may override both). */
  async murmur(options: CreateMurmurNodeOptions = {}): Promise<MurmurNode> {
    const node = await createMurmurNode({
      ...options,
      membership: { profile: 'local', ...options.membership, config: { ...FAST, ...options.membership?.config } },
    })
    this.all.push(node)
    return node
  }

  /** n Murmur nodes; all but the first join through the first. */
  async cluster(n: number, options: CreateMurmurNodeOptions = {}): Promise<MurmurNode[]> {
    const seed = await this.murmur(options)
    const rest = await Promise.all(
      Array.from({ length: n - 1 }, () => this.murmur({ ...options, join: seed.getMultiaddrs().map(String) })),
    )
    return [seed, ...rest]
  }

  /** A plain libp2p node (TCP + Noise + Yamux) with no Murmur service, to play a foreign peer. */
  async raw(options: { privateKey?: PrivateKey; psk?: Uint8Array } = {}): Promise<Libp2p> {
    const node = await createLibp2p({
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      ...(options.psk === undefined ? {} : { connectionProtector: preSharedKey({ psk: options.psk }) }),
      connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
    })
    this.all.push(node)
    return node
  }

  track<T extends { stop(): void | Promise<void> }>(node: T): T {
    this.all.push(node)
    return node
  }

  async stopAll(): Promise<void> {
    const all = this.all.splice(0)
    await Promise.allSettled(all.map(async (n) => n.stop()))
  }
}

/** Polls `pred` until it holds; throws (naming `what`) when `signal` aborts first. */
export async function until(
  pred: () => boolean | Promise<boolean>,
  what: string,
  signal: AbortSignal,
  intervalMs = 25,
): Promise<void> {
  while (!(await pred())) {
    if (signal.aborted) throw new Error(`timed out waiting for ${what}`)
    await delay(intervalMs).catch(() => {})
  }
}

/** The first event of `type` on `target` that passes `filter`; rejects when `signal` aborts. */
export function nextEvent<T>(
  target: TypedEventTarget<Record<string, CustomEvent<T>>>,
  type: string,
  signal: AbortSignal,
  filter: (detail: T) => boolean = () => true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (evt: CustomEvent<T>): void => {
      if (!filter(evt.detail)) return
      cleanup()
      resolve(evt.detail)
    }
    const onAbort = (): void => {
      cleanup()
      reject(new Error(`timed out waiting for ${type}`))
    }
    const cleanup = (): void => {
      target.removeEventListener(type, onEvent)
      signal.removeEventListener('abort', onAbort)
    }
    if (signal.aborted) return onAbort()
    target.addEventListener(type, onEvent)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** How `viewer` sees the member `id`. */
export function stateOf(viewer: MurmurNode, id: string): MemberState | undefined {
  return viewer.services.membership.member(id)?.state
}

/** True when every node sees every other as alive. */
export function converged(nodes: MurmurNode[]): boolean {
  return nodes.every((v) => nodes.every((m) => stateOf(v, m.peerId.toString()) === 'alive'))
}

/** The node's multiaddrs as strings (each ends in /p2p/<id>). */
export function addrsOf(node: Libp2p): string[] {
  return node.getMultiaddrs().map(String)
}

/** Resolves once the stream has been reset or aborted (or closed); rejects when `signal` aborts. */
export async function streamEnded(stream: Stream, signal: AbortSignal): Promise<Stream['status']> {
  await until(() => stream.status !== 'open', `the ${stream.protocol} stream to end`, signal, 10)
  return stream.status
}

/** A varint length prefix on its own (to announce a frame without sending it). */
export function prefix(n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}
