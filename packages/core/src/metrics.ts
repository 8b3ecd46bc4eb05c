import { DecodeError, MessageTooLargeError, SyncRefusedError } from './errors.ts'

/** Why an incoming message or claim was dropped. Each one is counted. */
export type DropReason =
  | 'malformed' // bytes that do not decode
  | 'too-large' // over maxPacketBytes / maxSyncBytes / a field bound
  | 'too-many-fields' // a repeated field over its decode limit
  | 'version' // unknown protocol version
  | 'bad-signature' // a claim or event whose signature does not verify
  | 'forged-origin' // an alive/leave claim not made by the member itself
  | 'invalid-claim' // a claim with missing or out-of-range fields
  | 'unknown-member' // suspect/dead/left about a member we have never seen alive
  | 'misdirected' // a ping meant for another id
  | 'unexpected-ack' // an ack/nack for no probe of ours
  | 'relay-limit' // a ping-req beyond maxPendingRelays
  | 'sync-busy' // a push-pull beyond maxConcurrentPushPull
  | 'stopped' // a message that arrived while stopped
  | 'future-incarnation' // an accusation naming an incarnation its subject never announced
  | 'untrusted-accuser' // an accusation or confirmation by someone we do not hold as a live, admitted member
  | 'not-admitted' // a claim about an id outside the allow-list
  | 'table-full' // a new member while maxMembers are held and no tombstone can make room
  | 'admission-rate' // a new member past its introducer's maxNewMembersPerSecond
  | 'verify-shed' // a claim or event not checked: its sender's maxVerifiesPerPeerPerSecond was spent
  | 'ltime-jump' // a user event whose Lamport time is past MAX_LTIME_JUMP ahead of ours
  | 'relay-refused' // a ping-req from, or naming, someone who is not a live member
  | 'invalid-coordinate' // a network coordinate of the wrong shape or out of bounds (the ack itself counts)
  | 'unknown-query' // a query answer or ack for no query of ours in flight (late, or never asked)
  | 'query-limit' // a query past maxQueryHandlers or the gossip queue's bound, an answer past maxQueryAnswers
  | 'invalid-filter' // a query whose tag filter is not key=regexp, too long, or not a regexp we run
  | 'report-digest' // a fetched report body whose size or digest is not the one its owner signed
  | 'report-limit' // a report request past maxReportServesPerPeerPerSecond
  | 'force-left' // an alive claim of a member force-left here, at or below the incarnation it was forgotten at
  | 'force-leave-refused' // a force-leave from someone not a live member, past its origin's rate, or naming a member we do not hold dead

export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'too-large',
  'too-many-fields',
  'version',
  'bad-signature',
  'forged-origin',
  'invalid-claim',
  'unknown-member',
  'misdirected',
  'unexpected-ack',
  'relay-limit',
  'sync-busy',
  'stopped',
  'future-incarnation',
  'untrusted-accuser',
  'not-admitted',
  'table-full',
  'admission-rate',
  'verify-shed',
  'ltime-jump',
  'relay-refused',
  'invalid-coordinate',
  'unknown-query',
  'query-limit',
  'invalid-filter',
  'force-left',
  'force-leave-refused',
  'report-digest',
  'report-limit',
]

/** Counters kept by the engine; read them with `membership.stats()`. */
export interface MembershipStats {
  probes: number
  acks: number
  indirectAcks: number
  nacks: number
  pingReqsSent: number
  relaysServed: number
  suspicions: number
  refutes: number
  /**
   * Stale accusations answered with the newer claim we hold (a refutation or a leave the
   * accuser missed), sent straight back to whoever gossiped them.
   */
  corrections: number
  deaths: number
  /** Claims that were new to us and changed the table. */
  updatesApplied: number
  /** Claims already known (not an error: gossip repeats itself). */
  updatesStale: number
  userEvents: number
  /** Claims and events not queued for gossip because they can never fit a packet's budget (push-pull still carries claims). */
  unsendable: number
  /** Times our incarnation could not be raised: it is at the largest a claim can carry (never wraps). */
  incarnationExhausted: number
  /** Tombstones evicted early to make room for a new member (maxMembers). */
  tombstonesEvicted: number
  /** Our own ack payloads not sent because they exceeded maxAckPayloadBytes (an empty one went instead). */
  oversizedAckPayloads: number
  /**
   * Our probe rounds that ended inconclusive: their timers ran more than probeTimeoutMs late (our
   * own host stalled), so a missing ack proves nothing about the target (stallAwareness).
   */
  inconclusiveProbes: number
  /**
   * Our probe rounds whose ping had to wait for a connection to its target (a first contact):
   * their clock started once it was open (Transport.opening).
   */
  firstContactProbes: number
  /** Of those, the rounds whose clock started because connectGraceMs ran out before the connection opened. */
  connectGraceExpired: number
  /** Stalls of our own host noticed: a probe tick, or the host's event loop, more than probeTimeoutMs late (stallAwareness). */
  stalls: number
  /** Queries we asked (query()). */
  queries: number
  /** Queries of others (and ours) that matched our filters and reached our handler or acked. */
  queriesMatched: number
  /** Answers and acks to our queries accepted (signed by their sender, each once). */
  queryAnswers: number
  /** Answers and acks we sent (each to the origin, and through relays). */
  queryResponsesSent: number
  /** Other members' answers we forwarded to their query's origin (relay_factor). */
  queryRelays: number
  /** Answers and acks that arrived again (by a relay, or repeated), dropped: not an error. */
  queryDuplicates: number
  /** Report fetches started (each one request to one member). */
  reportFetches: number
  /** Reports fetched and verified against their digest. */
  reportsFetched: number
  /** Report fetches that failed: no answer, refused, not held there, or a body not matching its digest. */
  reportFetchFailures: number
  /** Bytes of report bodies received (verified or not). */
  reportBytesFetched: number
  /** Report bodies served to others, and their bytes. */
  reportsServed: number
  reportBytesServed: number
  /** Report bodies evicted from the cache (reportCacheBytes). */
  reportEvictions: number
  /** Dead or left members forgotten early by force-leave (ours, or an operator's we honoured). */
  forceLeaves: number
  /** Full states merged from push-pulls (a requester's answer, a responder's request). */
  pushPulls: number
  /** Periodic syncs (as requester or responder) that found both tables equal by fingerprint. */
  syncsInSync: number
  /** Gossip targets skipped rather than dialled (no connection, past the gossip dial limit). */
  gossipDialsSkipped: number
  packetsIn: number
  packetsOut: number
  bytesIn: number
  bytesOut: number
  drops: Record<DropReason, number>
}

export function newStats(): MembershipStats {
  return {
    probes: 0,
    acks: 0,
    indirectAcks: 0,
    nacks: 0,
    pingReqsSent: 0,
    relaysServed: 0,
    suspicions: 0,
    refutes: 0,
    corrections: 0,
    deaths: 0,
    updatesApplied: 0,
    updatesStale: 0,
    userEvents: 0,
    oversizedAckPayloads: 0,
    inconclusiveProbes: 0,
    firstContactProbes: 0,
    connectGraceExpired: 0,
    stalls: 0,
    unsendable: 0,
    tombstonesEvicted: 0,
    incarnationExhausted: 0,
    queries: 0,
    queriesMatched: 0,
    queryAnswers: 0,
    queryResponsesSent: 0,
    queryRelays: 0,
    queryDuplicates: 0,
    forceLeaves: 0,
    reportFetches: 0,
    reportsFetched: 0,
    reportFetchFailures: 0,
    reportBytesFetched: 0,
    reportsServed: 0,
    reportBytesServed: 0,
    reportEvictions: 0,
    pushPulls: 0,
    syncsInSync: 0,
    gossipDialsSkipped: 0,
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    drops: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  }
}

/** Logger compatible with libp2p's: callable, with error and trace. No-op by default. */
export interface Logger {
  (formatter: string, ...args: unknown[]): void
  error(formatter: string, ...args: unknown[]): void
  trace(formatter: string, ...args: unknown[]): void
}

export const silentLogger: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {} })

/**
 * Counts a message that failed to decode under its drop reason. A refused push-pull was counted
 * where it was refused (sync-busy); anything else unexpected counts as malformed.
 */
export function countDecodeError(stats: MembershipStats, err: unknown): void {
  const drops = stats.drops
  if (err instanceof MessageTooLargeError) drops['too-large']++
  else if (err instanceof DecodeError) drops[err.reason as 'malformed' | 'version' | 'too-many-fields']++
  else if (!(err instanceof SyncRefusedError)) drops.malformed++
}
