import type { Clock } from './clock.ts'
import type { ConfigInput } from './config.ts'
import type { Logger } from './metrics.ts'
import type { Random } from './random.ts'
import type { Hasher } from './reports.ts'
import type { Signer, Transport, Verifier } from './transport.ts'

/** Everything a Membership needs. Only `id` and `transport` are required. */
export interface MembershipInit {
  /** This node's id (the libp2p peer id string on the libp2p transport). */
  id: string
  /** Where others can reach us. Update later with setAddresses(). */
  addrs?: readonly string[]
  /** Initial metadata, at most maxMetadataBytes. */
  metadata?: Uint8Array
  /** A profile and overrides; see SwimConfig. */
  config?: ConfigInput
  transport: Transport
  clock?: Clock
  random?: Random
  /** Signs our claims; with `verifier`, defaults to `unsigned` (trusted networks, simulations). */
  signer?: Signer
  verifier?: Verifier
  log?: Logger
  /** The per-probe heartbeat payload we put in every ack (at most maxAckPayloadBytes). */
  ackPayload?: () => Uint8Array
  /**
   * Who may be a member (an allow-list): claims about anyone else are dropped (not-admitted), and
   * accusations or confirmations by anyone else count for nothing. @default everyone
   */
  admit?: (id: string) => boolean
  /**
   * Our first incarnation. Start above any incarnation this node's key ever signed, so that a
   * restarted node's old claims (and replayed accusations against them) are stale at once: the
   * libp2p service derives it from the wall clock (seconds), or a persisted value. @default 0
   */
  initialIncarnation?: number
  /**
   * The host's measure of its own event-loop delay: the largest delay (ms) since the last call
   * (e.g. perf_hooks.monitorEventLoopDelay's max, reset on each read). Read once per probe tick;
   * a delay past probeTimeoutMs counts as a stall (stallAwareness) even when it did not hold
   * back the probe timer itself. Optional: the engine also measures how late its own timers run.
   */
  loopDelay?: () => number
  /**
   * Reads tags from metadata (the engine holds metadata as opaque bytes), for queries' tag
   * filters: without it, a query with tag filters matches nothing here. It is given this node's
   * own metadata only. @default undefined
   */
  tagsOf?: (metadata: Uint8Array) => Readonly<Record<string, string>>
  /**
   * Computes report digests (32 bytes): SHA-256 wherever members are not all trusted (the libp2p
   * service injects it). The engine has no crypto of its own. @default fnvDigest (deterministic,
   * not cryptographic: for simulations and trusted networks)
   */
  hash?: Hasher
}
