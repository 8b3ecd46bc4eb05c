import {
  type Coordinate,
  type Explanation,
  estimateRttMs,
  MEMBER_EVENT_NAMES,
  type Member,
  type MemberState,
} from '@murmur/core'
import { DEGRADED_TAG, decodeInfo } from './tags.ts'

/** A member as the control API, `--json` and the event handler show it. */
export interface MemberJson {
  id: string
  name: string
  addrs: string[]
  state: MemberState
  incarnation: number
  tags: Record<string, string>
  /** Our last measured round trip to it, in ms. */
  rttMs: number | null
  /** When this agent saw its state change (ISO time). */
  stateChangedAt: string
  reason: Explanation | null
  /**
   * Alive but stuck: its progress bound fired (the tag degraded=progress, see `--progress-timeout`);
   * an app may route work away from it. Clears when it makes progress again.
   * Always set by memberJson(); optional for readers of older agents.
   */
  degraded?: boolean
  /** Its network coordinate (Vivaldi), when this agent has one for it. */
  coordinate?: Coordinate | null
  /** The RTT in ms this agent estimates to it from the two coordinates (null without one). */
  rttEstimateMs?: number | null
  /** The size of its report (metadata too large to gossip) once this agent holds the body; null without. */
  reportBytes?: number | null
}

/** `m` as JSON; `from` (this agent's own coordinate) gives the RTT estimate. */
export function memberJson(m: Member, from?: Coordinate): MemberJson {
  const info = decodeInfo(m.metadata)
  return {
    id: m.id,
    name: info.name ?? '',
    addrs: [...m.addrs],
    state: m.state,
    incarnation: m.incarnation,
    tags: info.tags,
    rttMs: m.rttMs ?? null,
    stateChangedAt: new Date(m.stateChangedAt).toISOString(),
    reason: m.reason ? { ...m.reason } : null,
    degraded: info.tags[DEGRADED_TAG] !== undefined,
    coordinate: m.coordinate ?? null,
    reportBytes: m.report?.byteLength ?? null,
    rttEstimateMs:
      m.coordinate === undefined || from === undefined
        ? null
        : Math.round(estimateRttMs(from, m.coordinate) * 100) / 100,
  }
}

/** One line of the event stream (`--json` stdout, GET /v1/events, the event handler's stdin). */
export type AgentEvent =
  | { event: 'ready'; time: string; id: string; name: string; pid: number; addrs: string[]; api: string }
  | ({ event: MemberEventType; time: string } & MemberJson)
  | { event: 'user-event'; time: string; origin: string; name: string; payload: string; ltime: number }
  | { event: 'leaving' | 'stopped'; time: string; id: string }
  | { event: 'error'; time: string; code: string; message: string }

/** The member events an agent reports (core's list). */
export const MEMBER_EVENTS = MEMBER_EVENT_NAMES
export type MemberEventType = (typeof MEMBER_EVENTS)[number]

/** Does `m` match `--state` and every `--tag k=v` filter? */
export function matches(m: MemberJson, state: string | undefined, tags: Array<[string, string]>): boolean {
  if (state !== undefined && m.state !== state) return false
  return tags.every(([k, v]) => m.tags[k] === v)
}
