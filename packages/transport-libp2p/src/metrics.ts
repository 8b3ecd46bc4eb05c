import type { Metrics } from '@libp2p/interface'
import type { Member } from '@murmur/core'
import type { MembershipServiceStats } from './index.ts'

/** What the metrics read, on every scrape. */
export interface MetricsSource {
  stats(): MembershipServiceStats
  members(): Member[]
  healthScore(): number
}

/**
 * Registers calculated metrics that read the service's counters when scraped, so the hot path
 * keeps no metric objects of its own. Every name starts with `murmur_`; label values are fixed
 * sets (event kinds, drop reasons, member states, directions).
 */
export function registerMetrics(metrics: Metrics | undefined, source: MetricsSource): void {
  if (metrics === undefined) return
  metrics.registerCounterGroup('murmur_protocol_events_total', {
    label: 'event',
    help: 'Failure-detector and dissemination events: probes, acks, nacks, suspicions, refutes, deaths, ...',
    calculate: () => {
      const s = source.stats()
      return {
        probes: s.probes,
        acks: s.acks,
        indirect_acks: s.indirectAcks,
        nacks: s.nacks,
        ping_reqs: s.pingReqsSent,
        relays: s.relaysServed,
        suspicions: s.suspicions,
        refutes: s.refutes,
        corrections: s.corrections,
        deaths: s.deaths,
        user_events: s.userEvents,
        push_pulls: s.pushPulls,
        syncs_in_sync: s.syncsInSync,
        gossip_dials_skipped: s.gossipDialsSkipped,
        first_contact_probes: s.firstContactProbes,
        connect_grace_expired: s.connectGraceExpired,
        queries: s.queries,
        queries_matched: s.queriesMatched,
        query_answers: s.queryAnswers,
        query_responses_sent: s.queryResponsesSent,
        query_relays: s.queryRelays,
        query_duplicates: s.queryDuplicates,
      }
    },
  })
  metrics.registerCounterGroup('murmur_drops_total', {
    label: 'reason',
    help: 'Incoming messages, claims and frames dropped, by reason',
    calculate: () => ({ ...source.stats().drops }),
  })
  metrics.registerCounterGroup('murmur_transport_errors_total', {
    label: 'reason',
    help: 'Inbound frames refused (stream reset) and outbound packets dropped, by reason',
    calculate: () => {
      const t = source.stats().transport
      const out: Record<string, number> = { refused_streams: t.refusedStreams, fault_drops_in: t.faultDropsIn }
      for (const [k, v] of Object.entries(t.frameErrors)) out[`frame_${k}`] = v
      for (const [k, v] of Object.entries(t.sendDrops)) out[`send_${k}`] = v
      return out
    },
  })
  metrics.registerCounterGroup('murmur_bytes_total', {
    label: 'direction',
    help: 'Membership payload bytes received and sent (packets and push-pull, without libp2p framing)',
    calculate: () => {
      const t = source.stats().transport
      return { in: t.bytesReceived, out: t.bytesSent }
    },
  })
  metrics.registerCounterGroup('murmur_packets_total', {
    label: 'direction',
    help: 'Membership packets received and sent',
    calculate: () => {
      const s = source.stats()
      return { in: s.packetsIn, out: s.packetsOut }
    },
  })
  metrics.registerMetricGroup('murmur_queue_depth', {
    label: 'queue',
    help: 'Pending updates, user events, and frames waiting in per-peer send buffers',
    calculate: () => {
      const s = source.stats()
      return { updates: s.queueDepth, events: s.eventQueueDepth, send_buffer: s.transport.queuedFrames }
    },
  })
  metrics.registerMetricGroup('murmur_members', {
    label: 'state',
    help: 'Members by state as this node sees them (itself included)',
    calculate: () => {
      const byState = { alive: 0, suspect: 0, dead: 0, left: 0 }
      for (const m of source.members()) byState[m.state]++
      return byState
    },
  })
  metrics.registerMetric('murmur_health_score', {
    help: 'Lifeguard local health score (0 is healthy); probe intervals are scaled by score + 1',
    calculate: () => source.healthScore(),
  })
}
