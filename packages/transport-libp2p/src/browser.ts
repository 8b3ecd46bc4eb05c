/**
 * @murmur/libp2p/browser: a Murmur member in a browser tab.
 *
 * A tab can dial but cannot be dialled. It connects to agents over WebSockets (`murmur agent
 * --listen /ip4/.../tcp/N/ws`, which also runs a circuit-relay-v2 server), holds a reservation on
 * `relays` of them, and announces the relayed addresses (`.../p2p/<relay>/p2p-circuit/p2p/<tab>`)
 * in its signed alive claim: others reach it through a relay, or directly over WebRTC (signalled
 * through the relay) where both ends are browsers. Its key is Ed25519, and the trust rules are
 * the same as for any member: a tab is an untrusted peer until it is a member.
 *
 * Admission: the allow-list and the cluster name hold on every transport (Murmur's own stream
 * admission and signatures). A pre-shared key (pnet) cannot protect WebRTC, so with `psk` set
 * WebRTC is left out and the tab talks through WebSockets and relays only, whose connections
 * carry the PSK.
 *
 * @example
 * ```ts
 * import { createMurmurBrowserNode } from '@murmur/libp2p/browser'
 *
 * const node = await createMurmurBrowserNode({
 *   join: ['/dns4/agent.example/tcp/443/wss/p2p/12D3KooW...'],
 *   membership: { profile: 'lan' },
 * })
 * node.services.membership.addEventListener('member:dead', (e) => console.log(e.detail.id, 'died'))
 * addEventListener('pagehide', () => void node.services.membership.leave())
 * ```
 * See {@link MurmurTab} (browser-tab.ts) for a tab that leaves when hidden and rejoins.
 *
 * @packageDocumentation
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { isRelayed, relayedFirst } from './browser-addrs.ts'
import type { MembershipInit, MembershipService } from './index.ts'
import { MembershipServiceImpl } from './membership-service.ts'

/** Options of {@link createMurmurBrowserNode}. */
export interface CreateMurmurBrowserNodeOptions {
  /** Agents to join through: WebSockets multiaddrs with `/p2p/<id>` (`/ws` or `/wss`). */
  join: string[]
  /** Options of the membership service (profile, config with the cluster's name, metadata...). */
  membership?: MembershipInit
  /** The tab's identity. @default a fresh Ed25519 key */
  privateKey?: PrivateKey
  /** Peer ids admitted (the agents' `--allow`); the tab must be on theirs too. */
  allow?: string[]
  /** The cluster's pre-shared key (`--psk-file`), if it has one. WebRTC is then off. */
  psk?: Uint8Array
  /** Relays to hold a reservation on (each one more path in to this tab). @default 2 */
  relays?: number
  /** Dial other tabs directly over WebRTC (signalled through a relay). @default true, false with `psk` */
  webRTC?: boolean
  /** How long to wait for the first relay reservation before joining without one, in ms. @default 10000 */
  relayTimeoutMs?: number
}

/** The node createMurmurBrowserNode returns. */
export type MurmurBrowserNode = Libp2p<{ membership: MembershipService }>

const DEFAULT_RELAYS = 2
const DEFAULT_RELAY_TIMEOUT_MS = 10_000

/**
 * A started libp2p node for a browser tab (WebSockets, circuit relay, WebRTC, Noise, Yamux)
 * running the membership service, with a relay reservation (or `relayTimeoutMs` spent trying),
 * joined to `options.join`. Rejects with JoinFailedError (and stops the node) when no seed answers.
 */
export async function createMurmurBrowserNode(options: CreateMurmurBrowserNodeOptions): Promise<MurmurBrowserNode> {
  const init: MembershipInit = { ...options.membership, allow: options.membership?.allow ?? options.allow }
  const rtc = options.webRTC ?? options.psk === undefined
  const relays = options.relays ?? DEFAULT_RELAYS
  const node = await createLibp2p({
    privateKey: options.privateKey ?? (await generateKeyPair('Ed25519')),
    addresses: {
      // '/p2p-circuit': find a relay among the peers we connect to, and hold a reservation there
      listen: [...Array.from({ length: relays }, () => '/p2p-circuit'), ...(rtc ? ['/webrtc'] : [])],
      announceFilter: relayedFirst,
    },
    transports: [webSockets(), circuitRelayTransport(), ...(rtc ? [webRTC()] : [])],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(options.psk === undefined ? {} : { connectionProtector: preSharedKey({ psk: options.psk }) }),
    connectionGater: tabGater(options.allow),
    connectionMonitor: { enabled: false }, // Murmur probes every member itself (see create-node.ts)
    services: {
      identify: identify(),
      membership: (components: ConstructorParameters<typeof MembershipServiceImpl>[0]): MembershipService =>
        new MembershipServiceImpl(components, init),
    },
  })
  try {
    await reachRelays(node, options.join, options.relayTimeoutMs ?? DEFAULT_RELAY_TIMEOUT_MS)
    await node.services.membership.join(options.join)
  } catch (err) {
    await node.stop()
    throw err
  }
  return node
}

/**
 * Dials the seeds (identify then tells the relay transport which of them relay) and waits until
 * the node announces a relayed address, for at most `timeoutMs`: joining before that would
 * announce a claim with no address others can dial. A seed that cannot be dialled is left to
 * join() to report.
 */
async function reachRelays(node: Libp2p, seeds: string[], timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs)
  const relayed = () => node.getMultiaddrs().some(isRelayed)
  await Promise.allSettled(seeds.map((s) => node.dial(multiaddr(s), { signal })))
  if (relayed()) return
  await new Promise<void>((resolve) => {
    const done = () => {
      node.removeEventListener('self:peer:update', check)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const check = () => {
      if (relayed()) done()
    }
    node.addEventListener('self:peer:update', check)
    signal.addEventListener('abort', done)
    check()
  })
}

/**
 * libp2p's browser default refuses private addresses and plain `ws://`. A tab dials only what
 * members announce in signed claims (and its seeds), so that default would only keep it from a
 * cluster on a LAN or on loopback; the allow-list, when given, is enforced as in createMurmurNode.
 */
function tabGater(allow: string[] | undefined): ConnectionGater {
  const allowed = allow === undefined ? undefined : new Set(allow)
  const deny = (peerId: { toString(): string }): boolean => allowed !== undefined && !allowed.has(peerId.toString())
  return {
    denyDialMultiaddr: () => false,
    denyDialPeer: deny,
    denyOutboundConnection: deny,
    denyInboundEncryptedConnection: deny,
    denyOutboundEncryptedConnection: deny,
  }
}

export { relayedFirst } from './browser-addrs.ts'
export {
  HIDDEN_LEAVE_MS,
  MurmurTab,
  type MurmurTabEvents,
  type MurmurTabOptions,
  type PageLike,
  type TabState,
} from './browser-tab.ts'
export type { Member, MembershipEvents, MembershipInit, MembershipService } from './index.ts'
