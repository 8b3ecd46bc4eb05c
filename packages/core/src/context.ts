import type { Awareness } from './awareness.ts'
import type { Clock } from './clock.ts'
import type { Update } from './codec/index.ts'
import type { ResolvedConfig } from './config.ts'
import type { TransmitLimitedQueue } from './dissemination.ts'
import type { MemberEventName } from './events.ts'
import type { MemberList, MemberRecord } from './member-list.ts'
import type { Logger, MembershipStats } from './metrics.ts'
import type { Random } from './random.ts'
import type { Signer, Verifier } from './transport.ts'

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
  emitMember(name: MemberEventName, record: MemberRecord): void
  /** Members alive or suspect, ourselves included. */
  clusterSize(): number
}

/** Runs `then` on a value that may or may not be a promise, without an extra tick when it is not. */
export function whenReady<T>(value: T | Promise<T>, then: (v: T) => void, onError: (err: unknown) => void): void {
  if (value instanceof Promise) value.then(then, onError)
  else then(value)
}
