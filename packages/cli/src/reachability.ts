import type { MembershipService } from '@murmur/libp2p'
import { decodeInfo } from './tags.ts'

/** Pings in flight at once during `murmur reachability` (each is one small packet and its ack). */
export const REACHABILITY_CONCURRENCY = 32

/** One member's answer to a reachability check. */
export interface ReachabilityResult {
  id: string
  name: string
  /** The round trip in ms, or null when it did not answer within the timeout. */
  rttMs: number | null
  /** Why it did not answer (an error code: ERR_TIMEOUT, ...), absent when it did. */
  error?: string
}

/**
 * Pings every member the agent holds alive or suspect (not itself), REACHABILITY_CONCURRENCY at
 * a time, each bounded by `timeoutMs`: who answered (with the RTT) and who did not. Results in
 * member order.
 */
export async function checkReachability(
  service: Pick<MembershipService, 'members' | 'self' | 'ping'>,
  timeoutMs: number,
  concurrency = REACHABILITY_CONCURRENCY,
): Promise<ReachabilityResult[]> {
  const self = service.self().id
  const targets = service.members().filter((m) => m.id !== self && (m.state === 'alive' || m.state === 'suspect'))
  const results: ReachabilityResult[] = new Array(targets.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) {
      const m = targets[i]
      const name = decodeInfo(m.metadata).name ?? ''
      try {
        const rtt = await service.ping(m.id, { timeoutMs })
        results[i] = { id: m.id, name, rttMs: Math.round(rtt * 100) / 100 }
      } catch (err) {
        results[i] = { id: m.id, name, rttMs: null, error: (err as { code?: string }).code ?? (err as Error).name }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker))
  return results
}

/**
 * The id of the member `key` names: its id, its name, or a unique id prefix. A key that names
 * none (or several) is returned as is: the engine then answers UnknownMemberError.
 */
export function resolveMemberId(members: ReadonlyArray<{ id: string; metadata: Uint8Array }>, key: string): string {
  if (members.some((m) => m.id === key)) return key
  const named = members.filter((m) => decodeInfo(m.metadata).name === key)
  if (named.length === 1) return named[0].id
  const byPrefix = members.filter((m) => m.id.startsWith(key))
  return byPrefix.length === 1 ? byPrefix[0].id : key
}
