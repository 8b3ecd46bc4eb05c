import type { Member } from './member.ts'

/** The result of one probe round, emitted as the `probe` event. */
export interface ProbeResult {
  /** The member probed. */
  target: string
  /**
   * acked directly, acked through a helper (indirect), failed (the member is now suspect), or
   * inconclusive: no ack, but our own timers ran too late for that to prove anything (our host
   * stalled; stallAwareness), so nobody is suspected and our health score rises instead.
   */
  outcome: 'ack' | 'indirect-ack' | 'failed' | 'inconclusive'
  /** Round trip of the direct ping, when it was acked directly. */
  rttMs?: number
  /** The target's per-probe payload from its ack (application heartbeat data). */
  payload?: Uint8Array
  /** Our local health score after this round. */
  healthScore: number
  /** When the round started (clock ms) and when it was scheduled to (for drift measurement). */
  startedAt: number
  scheduledAt: number
  /** How late (ms) the latest of this round's timers ran, past its due time: our host's stall. */
  lateMs?: number
}

/** A user event as delivered to listeners, once per event per node. */
export interface UserEventInfo {
  origin: string
  name: string
  payload: Uint8Array
  ltime: number
}

/**
 * The engine's events. Events about one member are dispatched in the order its state changed.
 * Payloads are frozen copies: keep them as long as you like.
 */
export interface MembershipEvents {
  /** A member became known (or came back after being dead or left). */
  'member:join': CustomEvent<Member>
  /** An alive member announced new metadata or addresses. */
  'member:update': CustomEvent<Member>
  /** A member is suspected of having failed; `reason` says who accused it and why. */
  'member:suspect': CustomEvent<Member>
  /** A suspect member refuted the suspicion and is alive. */
  'member:alive': CustomEvent<Member>
  /** A member was declared dead; `reason` explains. */
  'member:dead': CustomEvent<Member>
  /** A member left gracefully. */
  'member:leave': CustomEvent<Member>
  /** A dead or left member's tombstone expired and it was forgotten. */
  'member:reap': CustomEvent<Member>
  /** A user event, delivered once. */
  'user-event': CustomEvent<UserEventInfo>
  /** One probe round finished. */
  probe: CustomEvent<ProbeResult>
}

export type MemberEventName = Exclude<keyof MembershipEvents, 'user-event' | 'probe'>

/** Every member event name, in the order a member's life usually goes. */
export const MEMBER_EVENT_NAMES = [
  'member:join',
  'member:update',
  'member:suspect',
  'member:alive',
  'member:dead',
  'member:leave',
  'member:reap',
] as const satisfies readonly MemberEventName[]
