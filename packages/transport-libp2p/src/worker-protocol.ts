/**
 * The messages between the app's thread and a worker-mode node's worker (structured clone over a
 * MessagePort). One file, so that both sides name the same shapes.
 */
import type { Member, MembershipEvents, QueryAnswer, ResolvedConfig } from '@murmur/core'
import type { Faults, MembershipInit, MembershipServiceStats } from './index.ts'

/** What the progress bound does when the app's thread stops ticking. */
export type ProgressAction = 'degrade' | 'leave'

/** What the worker is started with (workerData). */
export interface WorkerData {
  listen?: string[]
  join?: string[]
  /** The node's key, protobuf-encoded (a PrivateKey object cannot be cloned). */
  privateKey: Uint8Array
  psk?: Uint8Array
  allow?: string[]
  /** CreateMurmurNodeOptions.quic, true also when a join address is QUIC (the app's thread joins after the start). */
  quic?: boolean
  /** The service's options, less the ones that are functions. */
  membership: Omit<MembershipInit, 'ackPayload' | 'tagsOf'>
  /** membership.tagsOf of the metadata and of its degraded mark, read on the app's thread (tag filters). */
  tags?: Record<string, string>
  degradedTags?: Record<string, string>
  progress?: {
    timeoutMs: number
    checkMs: number
    action: ProgressAction
    /** Int32Array over it: [0] is the tick counter the app's thread increments. */
    counter: SharedArrayBuffer
    /** The metadata to announce while degraded (the app's own, marked). */
    degradedMetadata?: Uint8Array
  }
  statusIntervalMs: number
}

/** The state the app's thread mirrors, sent with every reply and every STATUS interval. */
export interface WorkerStatus {
  self: Member
  members: Member[]
  healthScore: number
  fingerprint: string
  stats: MembershipServiceStats
  addrs: string[]
  degraded: boolean
}

export type Method =
  | 'join'
  | 'leave'
  | 'setMetadata'
  | 'setReport'
  | 'broadcast'
  | 'forceLeave'
  | 'ping'
  | 'setFaults'
  | 'stop'
  | 'status'

export type ToWorker =
  | { type: 'call'; id: number; method: 'join'; args: [addrs: string[], timeoutMs: number | undefined] }
  | { type: 'call'; id: number; method: 'leave'; args: [timeoutMs: number | undefined] }
  | {
      type: 'call'
      id: number
      method: 'setMetadata'
      args: [metadata: Uint8Array, degraded: Uint8Array | undefined, tags?: QueryTags]
    }
  | { type: 'call'; id: number; method: 'setReport'; args: [report: Uint8Array | undefined] }
  | { type: 'call'; id: number; method: 'broadcast'; args: [name: string, payload: Uint8Array | undefined] }
  | { type: 'call'; id: number; method: 'forceLeave'; args: [id: string, prune: boolean | undefined] }
  | { type: 'call'; id: number; method: 'ping'; args: [id: string, timeoutMs: number | undefined] }
  | { type: 'call'; id: number; method: 'setFaults'; args: [faults: Faults] }
  | { type: 'call'; id: number; method: 'stop' | 'status'; args: [] }
  | { type: 'abort'; id: number }
  | { type: 'subscribe'; name: 'probe'; on: boolean }
  /** Starts a query; its answers come back as query-event, then one query-end. */
  | { type: 'query'; id: number; name: string; payload: Uint8Array; options: WorkerQueryOptions }
  | { type: 'query-cancel'; id: number }
  /** Registers (or removes) a handler, which runs on the app's thread. */
  | { type: 'handle-query'; name: string; on: boolean }
  /** The app's handler's answer to a query-request (undefined: none). */
  | { type: 'query-answer'; id: number; payload: Uint8Array | undefined }

/** Tags of the metadata and of its degraded mark (membership.tagsOf, run on the app's thread). */
export interface QueryTags {
  tags: Record<string, string>
  degradedTags?: Record<string, string>
}

/** QueryOptions less the signal (a cancel crosses the port instead). */
export interface WorkerQueryOptions {
  filter?: { ids?: string[]; tags?: string[] }
  timeoutMs?: number
  requestAck?: boolean
  relayFactor?: number
}

/** An error as it crosses the port: enough to rebuild the same class on the other side. */
export interface WireError {
  name: string
  message: string
  code?: string
  problems?: string[]
  errors?: WireError[]
}

export type EventName = keyof MembershipEvents

export type FromWorker =
  | { type: 'ready'; peerId: string; config: ResolvedConfig; status: WorkerStatus }
  | { type: 'failed'; error: WireError }
  | { type: 'event'; name: EventName; detail: unknown }
  | { type: 'reply'; id: number; ok: true; value: unknown; status: WorkerStatus }
  | { type: 'reply'; id: number; ok: false; error: WireError; status: WorkerStatus }
  | { type: 'status'; status: WorkerStatus }
  | { type: 'progress'; state: 'stalled' | 'recovered' | 'left'; stalledMs: number }
  | { type: 'query-event'; id: number; answer: QueryAnswer }
  | { type: 'query-end'; id: number; error?: WireError }
  /** A query for a handler of the app's: answer with query-answer (same id). */
  | {
      type: 'query-request'
      id: number
      handler: string
      info: { origin: string; name: string; payload: Uint8Array; id: string; timeoutMs: number }
    }
  /** The query-request's deadline passed: the handler's signal aborts. */
  | { type: 'query-abort'; id: number }

export function toWireError(err: unknown): WireError {
  const e = err as Error & { code?: string; problems?: string[]; errors?: unknown[] }
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(Array.isArray(e?.problems) ? { problems: e.problems } : {}),
    ...(Array.isArray(e?.errors) ? { errors: e.errors.map(toWireError) } : {}),
  }
}
