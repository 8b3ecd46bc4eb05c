import type { Coordinate } from './coordinate.ts'
/** A member's state as this node sees it. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

/** Precedence at equal incarnation: a higher rank wins. */
export const STATE_RANK: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 }

/** One failed probe in an explanation. */
export interface FailedProbe {
  /** When the probe started (clock ms). */
  at: number
  /** 'direct' for our own ping; otherwise the id of the member that probed for us. */
  via: string
  /** What came back: nothing at all, or a nack (the helper could not reach the target either). */
  outcome: 'timeout' | 'nack'
}

/** Why a member is suspect or dead, as known to this node. */
export interface Explanation {
  /** Who first accused it (for this incarnation). */
  accuser: string
  /** When this node learned of the suspicion (clock ms). */
  suspectedAt: number
  /** Other members that independently confirmed the suspicion. */
  confirmations: string[]
  /** Our own failed probes that led to the suspicion; empty when we learned it by gossip. */
  failedProbes: FailedProbe[]
  /** How it was declared dead: our suspicion timer fired, or someone else's word reached us. */
  deadBy?: 'suspicion-timeout' | 'gossip'
  /** Who declared it dead, for deadBy 'gossip' (or this node). */
  declaredBy?: string
  /** When it was declared dead (clock ms). */
  deadAt?: number
  /** The suspicion timeout that applied, in ms, once it fired. */
  suspicionTimeoutMs?: number
}

/** A read-only snapshot of one member. Event payloads are frozen instances of this. */
export interface Member {
  /** The member's id: the libp2p peer id as a string on the libp2p transport. */
  readonly id: string
  /** Where it can be reached (multiaddr strings on libp2p). */
  readonly addrs: readonly string[]
  readonly state: MemberState
  readonly incarnation: number
  /** Application metadata: tags, capacity, role... at most maxMetadataBytes. */
  readonly metadata: Uint8Array
  /** When this node last saw its state change (clock ms). */
  readonly stateChangedAt: number
  /** Our last measured round trip to it, when we have probed it directly. */
  readonly rttMs?: number
  /** Why it is suspect, dead (or was, until refuted); absent for members never suspected. */
  readonly reason?: Readonly<Explanation>
  /**
   * Its network coordinate, as it sent it with its last direct ack to us (our own, for
   * ourselves); `estimateRttMs(a.coordinate, b.coordinate)` estimates the RTT between two members.
   */
  readonly coordinate?: Coordinate
  /**
   * Its report (setReport(): metadata too large to gossip), once this node fetched the body its
   * current alive claim names and checked it against the signed digest; absent while it is being
   * fetched (member:update fires when it arrives), and for members with none. The bytes are
   * shared with the engine, not copied: do not modify them.
   */
  readonly report?: Uint8Array
}

/** A claim as the precedence rules see it. */
export interface Claim {
  state: MemberState
  incarnation: number
}

/**
 * SWIM's precedence: does `incoming` override `current`? A higher incarnation wins; at equal
 * incarnation suspect beats alive, dead beats both, and left beats dead. This is the only place
 * where incarnations are compared.
 */
export function supersedes(incoming: Claim, current: Claim | undefined): boolean {
  if (current === undefined) return true
  if (incoming.incarnation !== current.incarnation) return incoming.incarnation > current.incarnation
  return STATE_RANK[incoming.state] > STATE_RANK[current.state]
}

/** A deeply frozen copy, safe to hand to listeners. */
export function freezeMember(m: Member): Member {
  const reason = m.reason
    ? Object.freeze({
        ...m.reason,
        confirmations: Object.freeze([...m.reason.confirmations]) as string[],
        failedProbes: Object.freeze(m.reason.failedProbes.map((p) => Object.freeze({ ...p }))) as FailedProbe[],
      })
    : undefined
  return Object.freeze({
    ...m,
    addrs: Object.freeze([...m.addrs]),
    metadata: m.metadata.slice(),
    ...(reason ? { reason } : {}),
  })
}
