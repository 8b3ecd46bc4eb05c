import { DEFAULT_CLUSTER } from './constants.ts'
import { InvalidConfigError } from './errors.ts'

/**
 * Every tunable of the engine, in one object. Durations are in milliseconds (the `Ms` suffix),
 * sizes in bytes. Pass a `Partial<SwimConfig>` plus an optional `profile`; anything left out
 * comes from {@link DEFAULTS} and the profile's deltas ({@link PRESETS}).
 */
export interface SwimConfig {
  /** Time between two probe rounds; scaled by the local health multiplier. @default 1000 */
  probeIntervalMs: number
  /** How long to wait for a direct ack before asking others to probe; scaled by health. @default 500 */
  probeTimeoutMs: number
  /**
   * A probe whose ping has to wait for a connection to its target (a first contact over a
   * transport with connections: a dial and a handshake) starts its clock when the connection is
   * open, but at the latest this long after the ping: the set-up is our side's cost, which a busy
   * host or a start storm makes slow, not the target's failure to answer. A dial that fails
   * starts the clock at once. What it costs: a crashed member we hold no connection to, whose
   * host does not refuse the dial, is suspected up to this much later. 0: the clock starts at the
   * ping. Scaled by health. @default 2000 (wan: 10000)
   */
  connectGraceMs: number
  /** Members asked to probe indirectly (ping-req) when a direct probe fails. @default 3 */
  indirectChecks: number
  /**
   * 0: probe every live member in turn (memberlist's randomized round-robin), which over a
   * connection-oriented transport means a connection to every member. K > 0: probe rings, for
   * clusters larger than a node's connection budget: every member sits on K rings ordered by a
   * hash of its id, and probes only its successor on each (ProbeRings): each member is still
   * probed about once per interval, within K intervals at worst, and a node holds about 2K
   * connections however large the cluster; Lifeguard then expects at most `probeRings - 1`
   * confirmations of a suspicion (its other probers). At most 32. @default 0 (libp2p with
   * maxConnections: see the service)
   */
  probeRings: number
  /**
   * Suspicion timeout multiplier. Minimum suspicion timeout =
   * `suspicionMult * max(1, log10(n)) * probeIntervalMs`; `suspicionMult - 2` independent
   * confirmations bring a suspicion down to that minimum (Lifeguard). @default 4
   */
  suspicionMult: number
  /** Maximum suspicion timeout = `suspicionMaxTimeoutMult * minimum`. @default 6 */
  suspicionMaxTimeoutMult: number
  /** Each update is piggybacked `retransmitMult * ceil(log10(n + 1))` times. @default 4 */
  retransmitMult: number
  /** Time between dedicated gossip rounds. @default 200 */
  gossipIntervalMs: number
  /** Members sent to in each gossip round. @default 3 */
  gossipNodes: number
  /** Dead members keep receiving gossip this long, so that they can learn of it and refute. @default 30000 */
  gossipToTheDeadMs: number
  /**
   * Full state exchange with one random member. Above 32 members the interval grows by
   * `ceil(log2(n) - log2(32)) + 1` (memberlist's scaling). 0 disables periodic push-pull. @default 30000
   */
  pushPullIntervalMs: number
  /** Timeout of one push-pull request (anti-entropy), and of a wait for a push-pull slot. @default 10000 */
  requestTimeoutMs: number
  /**
   * Timeout of a join's push-pull: its dial, handshake and the seed's answer. Apart from
   * requestTimeoutMs because a seed answers a whole cluster's joins when it starts at once, and a
   * join that gives up early comes back with a fresh handshake. @default 10000 (local: 5000)
   */
  joinTimeoutMs: number
  /** Push-pull requests served at once; more are refused, and counted. @default 4 */
  maxConcurrentPushPull: number
  /** Local health score is kept in [0, awarenessMaxMultiplier - 1]. @default 8 */
  awarenessMaxMultiplier: number
  /**
   * Lifeguard's three refinements: local health scaling, nacks and suspicion dogpiling.
   * Off gives plain SWIM with a fixed suspicion timeout (the minimum), for comparison. @default true
   */
  lifeguard: boolean
  /** Dead and left members are kept this long as tombstones, then reaped. @default 86400000 */
  tombstoneMs: number
  /** Byte budget of membership updates piggybacked on one packet. @default 1400 */
  packetBudgetBytes: number
  /**
   * Separate byte budget of user events per packet, so membership traffic cannot starve them. An
   * event must fit it to be gossiped: broadcast() refuses one that does not. @default 800
   */
  userEventBudgetBytes: number
  /** Largest member metadata. @default 512 */
  maxMetadataBytes: number
  /**
   * Largest report (setReport()): metadata too large to gossip. Its alive claim carries only its
   * digest and size; members fetch the body from it (or from any member holding it) on demand. A
   * body over this is refused by its owner and never fetched. @default 65536
   */
  maxReportBytes: number
  /**
   * Report bodies this node keeps (other members' and its own), in bytes: least recently used
   * evicted first (counted in reportEvictions). @default 67108864 (64 MiB: 1024 reports of 64 KiB)
   */
  reportCacheBytes: number
  /** Report fetches in flight at once, to all members together (at most 2 to one member). @default 8 */
  maxReportFetches: number
  /**
   * First wait before a failed report fetch is tried again (from another member); doubles with
   * each failure, up to 32 times this. A member that served a body not matching its digest is
   * not asked again for 60 times this. @default 1000
   */
  reportRetryMs: number
  /** Report bodies served to one member per second (burst twice that); past it refused (report-limit). @default 64 */
  maxReportServesPerPeerPerSecond: number
  /**
   * Largest per-probe ack payload. An ack carrying more is dropped (counted as too-large); our
   * own oversized payload is replaced by an empty one (counted in oversizedAckPayloads). @default 256
   */
  maxAckPayloadBytes: number
  /** Largest user event payload. @default 512 */
  maxUserEventBytes: number
  /** Largest encoded packet accepted. @default 65536 */
  maxPacketBytes: number
  /** Largest encoded push-pull message accepted. @default 8388608 */
  maxSyncBytes: number
  /** Most addresses one member may announce. @default 16 */
  maxAddrsPerMember: number
  /**
   * Most bytes of addresses (all of them together) in one alive claim, so that every claim fits a
   * gossip packet and a full table fits one push-pull. @default 512
   */
  maxAddrBytes: number
  /**
   * Most members held in the table (tombstones of dead and left members included, this node
   * not). When it is full, a new member takes the place of the oldest tombstone; with no
   * tombstone to evict it is refused and counted (table-full). The default, with the default
   * claim bounds, keeps a full table inside one push-pull of maxSyncBytes. @default 4096
   */
  maxMembers: number
  /**
   * New members one peer may introduce per second (in gossip it relays or in a push-pull it
   * sends us), with a burst of twice that; more are refused and counted (admission-rate), and
   * arrive later through others. The seed of our own join and restore() are not limited.
   * @default 64
   */
  maxNewMembersPerSecond: number
  /**
   * Signature checks spent on one peer's messages per second (claims and events it sends or
   * relays), with a burst of twice that; claims past it are shed unchecked and counted
   * (verify-shed): a flood of claims cannot take the CPU. Answers to our own requests (a join)
   * are not limited, but are checked in batches that yield to the event loop. @default 500
   */
  maxVerifiesPerPeerPerSecond: number
  /**
   * Network coordinates (Vivaldi): a probe asks its target for its coordinate while ours is
   * unsettled or the target has none yet, and then every Nth probe; each costs ~50 bytes in an
   * ack. They refine our own coordinate and let any node estimate the RTT between any two
   * members. 0: never (no coordinates). @default 8
   */
  coordinateEvery: number
  /**
   * The cluster's name, part of every signature and of the libp2p protocol ids: claims of one
   * cluster are worthless in another, and two clusters on one network never merge by accident.
   * 1 to 64 characters of [A-Za-z0-9._-]. @default 'default'
   */
  cluster: string
  /** Indirect probes (ping-req) performed for others at once; bounds amplification. @default 32 */
  maxPendingRelays: number
  /** User events remembered for deduplication. @default 1024 */
  userEventBufferSize: number
  /** How long leave() waits at most for the word to spread. @default 5000 */
  leaveTimeoutMs: number
  /**
   * Stall awareness: our own host stalling (a blocked event loop, a suspended VM, a GC pause) must
   * not make us accuse others. A probe round whose timers ran more than `probeTimeoutMs` late
   * ends inconclusive (no suspicion; a health penalty instead, counted in `inconclusiveProbes`);
   * a probe tick that ran that late, or an event-loop delay that long reported by the host
   * (`MembershipInit.loopDelay`), raises our local health score (counted in `stalls`); a
   * suspicion timer that fired that late waits once more, so that refutations already in the
   * sockets are read before anyone is declared dead. Off only to measure its effect. @default true
   */
  stallAwareness: boolean
  /**
   * Largest query payload (`query()`); a query carrying more is refused by query() and dropped on
   * receipt (too-large). The whole query, with its name, filters and signature, must also fit
   * `queryBudgetBytes`. @default 512
   */
  maxQueryBytes: number
  /**
   * Largest answer to a query. A handler's larger answer is not sent (counted in `unsendable`);
   * a larger one received is dropped (too-large). @default 1024
   */
  maxQueryResponseBytes: number
  /**
   * Byte budget of queries per packet, apart from membership updates and user events; a query
   * must fit it to be gossiped, and query() refuses one that does not. @default 1024
   */
  queryBudgetBytes: number
  /**
   * A query's timeout when the caller gives none:
   * `queryTimeoutMult * ceil(log10(n + 1)) * gossipIntervalMs` (Serf's formula). @default 16
   */
  queryTimeoutMult: number
  /**
   * Longest query timeout. query() refuses a longer one; a received query asking for longer is
   * held (answered, gossiped) for this long only. @default 60000
   */
  maxQueryTimeoutMs: number
  /** Queries of ours in flight at once; query() refuses more (TooManyQueriesError). @default 16 */
  maxQueriesInFlight: number
  /**
   * Answers and acks held per query of ours until the caller reads them; past it they are
   * dropped (query-limit). @default 1024
   */
  maxQueryAnswers: number
  /**
   * Query handlers (`handleQuery()`) running at once; a query that arrives while this many run is
   * not handled (query-limit), though still gossiped on. @default 16
   */
  maxQueryHandlers: number
}

/** The three profiles, as in memberlist. */
export type Profile = 'lan' | 'wan' | 'local'
export const PROFILES: readonly Profile[] = ['lan', 'wan', 'local']

/** memberlist's DefaultLANConfig, the field's reference. */
export const DEFAULTS = {
  probeIntervalMs: 1000, // memberlist LAN ProbeInterval
  probeTimeoutMs: 500, // memberlist LAN ProbeTimeout: a LAN round trip with slack
  connectGraceMs: 2000, // our own (memberlist's UDP has no connection to set up): two probe intervals
  indirectChecks: 3, // memberlist IndirectChecks
  probeRings: 0, // memberlist's round-robin over every member
  suspicionMult: 4, // memberlist SuspicionMult
  suspicionMaxTimeoutMult: 6, // memberlist SuspicionMaxTimeoutMult
  retransmitMult: 4, // memberlist RetransmitMult
  gossipIntervalMs: 200, // memberlist GossipInterval
  gossipNodes: 3, // memberlist GossipNodes
  gossipToTheDeadMs: 30_000, // memberlist GossipToTheDeadTime
  pushPullIntervalMs: 30_000, // memberlist PushPullInterval
  requestTimeoutMs: 10_000, // memberlist TCPTimeout
  joinTimeoutMs: 10_000,
  maxConcurrentPushPull: 4, // memberlist serves push-pull without a bound; we refuse past this
  awarenessMaxMultiplier: 8, // memberlist AwarenessMaxMultiplier
  lifeguard: true, // memberlist always has Lifeguard on; off only to measure its effect
  tombstoneMs: 86_400_000, // Serf TombstoneTimeout: 24 h
  packetBudgetBytes: 1400, // memberlist UDPBufferSize: fits one Ethernet MTU
  userEventBudgetBytes: 800, // our own: one event of maxUserEventBytes, a 128-character name and a signature fits
  maxMetadataBytes: 512, // memberlist MetaMaxSize
  maxReportBytes: 65_536, // issue 13: metadata up to 64 KiB, fetched on demand, never gossiped
  reportCacheBytes: 64 * 1024 * 1024, // our own: every member's largest report in a 1024-member cluster
  maxReportFetches: 8, // our own: 1000 members changing once a minute is ~17 fetches/s, each a round trip
  reportRetryMs: 1000, // our own: a probe interval; the next try goes to another member
  maxReportServesPerPeerPerSecond: 64, // our own: far above one fetch per member per change
  maxAckPayloadBytes: 256, // our own: a heartbeat payload, not a transfer
  maxUserEventBytes: 512, // Serf UserEventSizeLimit
  maxPacketBytes: 65_536, // memberlist's largest UDP message
  maxSyncBytes: 8 * 1024 * 1024, // ~40k members with signed claims
  maxAddrsPerMember: 16, // our own: a member with more addresses is misconfigured
  maxAddrBytes: 512, // our own: 512 of metadata + 512 of addresses + ~220 of ids and signature fit packetBudgetBytes
  maxMembers: 4096, // our own: 4096 members of the largest claims (~1.9 KB with their state claim) fit maxSyncBytes
  maxNewMembersPerSecond: 64, // our own: a seed gossiping a start storm of 64 agents is not slowed
  maxVerifiesPerPeerPerSecond: 500, // our own: ~40 ms of Ed25519 checks per peer per second at most (~80 µs each); gossip news is a few claims a second
  coordinateEvery: 8, // Serf sends one in every ack; settled coordinates need far fewer samples
  cluster: DEFAULT_CLUSTER, // our own: one cluster per network unless named
  maxPendingRelays: 32, // our own: bound on ping-req amplification
  userEventBufferSize: 1024, // Serf's event buffer is 64 Lamport times; we keep more events
  leaveTimeoutMs: 5000, // memberlist Leave's usual timeout in Consul and Serf
  stallAwareness: true, // our own (memberlist has none): a stalled host doubts itself, not others
  maxQueryBytes: 512, // Serf's QuerySizeLimit is 1024 for the whole query; ours leaves room for filters
  maxQueryResponseBytes: 1024, // Serf QueryResponseSizeLimit
  queryBudgetBytes: 1024, // Serf QuerySizeLimit: a query of maxQueryBytes, a 128-character name, a few filters and a signature
  queryTimeoutMult: 16, // Serf QueryTimeoutMult
  maxQueryTimeoutMs: 60_000, // our own: answers are wanted in seconds; a minute bounds what one query holds
  maxQueriesInFlight: 16, // our own: an app asks a few questions at once, not hundreds
  maxQueryAnswers: 1024, // our own: 1024 answers of maxQueryResponseBytes is 1 MiB per query at most
  maxQueryHandlers: 16, // our own: handlers are the app's work; a flood of queries must not queue it without bound
} as const satisfies SwimConfig

/** Deltas on top of {@link DEFAULTS}, as memberlist's DefaultWANConfig and DefaultLocalConfig. */
export const PRESETS: Record<Profile, Partial<SwimConfig>> = {
  lan: {},
  wan: {
    probeIntervalMs: 5000,
    probeTimeoutMs: 3000,
    connectGraceMs: 10_000,
    suspicionMult: 6,
    pushPullIntervalMs: 60_000,
    requestTimeoutMs: 30_000,
    joinTimeoutMs: 30_000,
    gossipNodes: 4,
    gossipIntervalMs: 500,
    gossipToTheDeadMs: 60_000,
  },
  local: {
    probeIntervalMs: 1000,
    probeTimeoutMs: 200,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullIntervalMs: 15_000,
    requestTimeoutMs: 1000,
    joinTimeoutMs: 5000,
    gossipIntervalMs: 100,
    gossipToTheDeadMs: 15_000,
  },
}

/** What callers pass: a profile and any overrides. */
export type ConfigInput = Partial<SwimConfig> & { profile?: Profile }

/** The resolved config plus the profile it came from. */
export type ResolvedConfig = Readonly<SwimConfig> & { readonly profile: Profile }

const positiveInts: (keyof SwimConfig)[] = [
  'probeIntervalMs',
  'probeTimeoutMs',
  'suspicionMult',
  'suspicionMaxTimeoutMult',
  'retransmitMult',
  'gossipIntervalMs',
  'requestTimeoutMs',
  'joinTimeoutMs',
  'maxConcurrentPushPull',
  'awarenessMaxMultiplier',
  'packetBudgetBytes',
  'userEventBudgetBytes',
  'maxPacketBytes',
  'maxSyncBytes',
  'maxAddrsPerMember',
  'maxAddrBytes',
  'maxMembers',
  'maxNewMembersPerSecond',
  'maxVerifiesPerPeerPerSecond',
  'userEventBufferSize',
  'leaveTimeoutMs',
  'queryBudgetBytes',
  'queryTimeoutMult',
  'maxQueryTimeoutMs',
  'maxQueriesInFlight',
  'maxQueryAnswers',
  'maxReportBytes',
  'reportCacheBytes',
  'maxReportFetches',
  'reportRetryMs',
  'maxReportServesPerPeerPerSecond',
]
const nonNegativeInts: (keyof SwimConfig)[] = [
  'indirectChecks',
  'probeRings',
  'connectGraceMs',
  'gossipNodes',
  'gossipToTheDeadMs',
  'pushPullIntervalMs',
  'tombstoneMs',
  'maxMetadataBytes',
  'maxAckPayloadBytes',
  'maxUserEventBytes',
  'maxPendingRelays',
  'coordinateEvery',
  'maxQueryBytes',
  'maxQueryResponseBytes',
  'maxQueryHandlers',
]

/** Each ring costs a binary search and an array per member; 32 is already ~64 connections. */
export const MAX_PROBE_RINGS = 32

const CLUSTER_NAME = /^[A-Za-z0-9._-]{1,64}$/

/** A query response's fields other than its payload, at most (ids, numbers, signature, framing). */
const QUERY_RESPONSE_OVERHEAD = 700

/** Every problem with a config, as sentences; empty when it is valid. */
export function validateConfig(config: Record<string, unknown>): string[] {
  const problems: string[] = []
  const known = new Set<string>([...Object.keys(DEFAULTS), 'profile'])
  for (const key of Object.keys(config)) {
    if (!known.has(key)) problems.push(`unknown option "${key}" (known: ${[...known].sort().join(', ')})`)
  }
  if (config.profile !== undefined && !PROFILES.includes(config.profile as Profile)) {
    problems.push(`profile must be one of ${PROFILES.join(', ')}, got ${JSON.stringify(config.profile)}`)
  }
  const check = (key: string, min: number) => {
    const v = config[key]
    if (v === undefined) return
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      problems.push(`${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`)
    }
  }
  for (const k of positiveInts) check(k, 1)
  for (const k of nonNegativeInts) check(k, 0)
  if (config.cluster !== undefined && (typeof config.cluster !== 'string' || !CLUSTER_NAME.test(config.cluster))) {
    problems.push(
      `cluster must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-', got ${JSON.stringify(config.cluster)}`,
    )
  }
  for (const key of ['lifeguard', 'stallAwareness']) {
    if (config[key] !== undefined && typeof config[key] !== 'boolean') {
      problems.push(`${key} must be true or false, got ${JSON.stringify(config[key])}`)
    }
  }
  if (typeof config.probeRings === 'number' && config.probeRings > MAX_PROBE_RINGS) {
    problems.push(`probeRings must be at most ${MAX_PROBE_RINGS}, got ${config.probeRings}`)
  }
  const { probeIntervalMs: pi, probeTimeoutMs: pt, maxPacketBytes: mp, packetBudgetBytes: pb } = config
  if (typeof pi === 'number' && typeof pt === 'number' && pt >= pi) {
    problems.push(`probeTimeoutMs (${pt}) must be smaller than probeIntervalMs (${pi})`)
  }
  if (typeof mp === 'number' && typeof pb === 'number' && pb > mp) {
    problems.push(`packetBudgetBytes (${pb}) must not exceed maxPacketBytes (${mp})`)
  }
  const { queryBudgetBytes: qb, maxQueryResponseBytes: qr } = config
  if (typeof mp === 'number' && typeof qb === 'number' && qb > mp) {
    problems.push(`queryBudgetBytes (${qb}) must not exceed maxPacketBytes (${mp})`)
  }
  if (typeof mp === 'number' && typeof qr === 'number' && qr + QUERY_RESPONSE_OVERHEAD > mp) {
    problems.push(
      `maxQueryResponseBytes (${qr}) plus ${QUERY_RESPONSE_OVERHEAD} bytes of framing must fit maxPacketBytes (${mp})`,
    )
  }
  return problems
}

/** Merges defaults, the profile's deltas and the overrides; throws one error listing every problem. */
export function resolveConfig(input: ConfigInput = {}): ResolvedConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined))
  const profile = (defined.profile ?? 'lan') as Profile
  const merged = { ...DEFAULTS, ...(PRESETS[profile] ?? {}), ...defined, profile }
  const problems = validateConfig(merged)
  if (problems.length > 0) throw new InvalidConfigError(problems)
  return Object.freeze(merged) as ResolvedConfig
}
