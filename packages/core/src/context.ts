import type { Awareness } from './awareness.ts'
import type { Clock } from './clock.ts'
import type { Update } from './codec/index.ts'
import type { ResolvedConfig } from './config.ts'
import type { VivaldiClient } from './coordinate.ts'
import type { TransmitLimitedQueue } from './dissemination.ts'
import type { MemberEventName } from './events.ts'
import type { MemberList, MemberRecord } from './member-list.ts'
import type { Logger, MembershipStats } from './metrics.ts'
import type { Random } from './random.ts'
import type { Signer, Verifier } from './transport.ts'
import type { Verification } from './verification.ts'

/**
 * How a claim or event reached us: the authenticated peer that sent it (its own or relayed), and
 * whether it answers a join of ours. Per-peer limits (admission of new members, signature checks)
 * are charged to `from`; claims with no `from` (restore()) and the answer of our own join are
 * not limited.
 */
export interface Via {
  readonly from?: string
  readonly join?: boolean
}

/** A claim restored locally: no peer to charge, nothing to gossip. */
export const LOCAL: Via = {}

/** What the engine's parts share. Internal: built by Membership, never exported. */
export interface Context {
  readonly config: ResolvedConfig
  readonly clock: Clock
  readonly random: Random
  readonly selfId: string
  readonly list: MemberList
  /** Membership updates to piggyback, keyed by member id. */
  readonly queue: TransmitLimitedQueue<Update>
  readonly awareness: Awareness
  readonly stats: MembershipStats
  readonly log: Logger
  readonly signer: Signer
  readonly verifier: Verifier
  /** This node's network coordinate, refined by direct probes. */
  readonly vivaldi: VivaldiClient
  /** Checks signatures within each peer's budget; see Verification. */
  readonly verification: Verification
  emitMember(name: MemberEventName, record: MemberRecord): void
  /** Is this id admitted to the cluster (the allow-list, when one is set)? */
  admitted(id: string): boolean
  /** A member's alive claim was applied (its report may need fetching). */
  aliveApplied(record: MemberRecord): void
  /** Was this member force-left here at this incarnation or above (see ForceLeave)? */
  forgotten(id: string, incarnation: number): boolean
  /** Members alive or suspect, ourselves included. */
  clusterSize(): number
}

/**
 * Runs `then` on what `produce` returns, which may or may not be a promise, without an extra tick
 * when it is not. A synchronous throw goes to `onError` like a rejection does (an injected signer
 * or verifier must never abort the caller). Returns the promise while one is pending.
 */
export function whenReady<T>(
  produce: () => T | Promise<T>,
  then: (v: T) => void,
  onError: (err: unknown) => void,
): Promise<void> | undefined {
  let value: T | Promise<T>
  try {
    value = produce()
  } catch (err) {
    onError(err)
    return undefined
  }
  if (value instanceof Promise) return value.then(then, onError)
  then(value)
  return undefined
}
