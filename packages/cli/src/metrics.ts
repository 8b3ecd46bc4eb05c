import type { MembershipService } from '@murmur/libp2p'
import { Counter, Gauge, Registry } from 'prom-client'

type Stats = ReturnType<MembershipService['stats']>

const COUNTERS: Array<[keyof Stats, string]> = [
  ['probes', 'probe rounds started'],
  ['acks', 'direct acks received'],
  ['indirectAcks', 'acks relayed by ping-req helpers'],
  ['nacks', 'nacks received from ping-req helpers'],
  ['pingReqsSent', 'ping-req messages sent'],
  ['relaysServed', 'indirect probes performed for others'],
  ['suspicions', 'suspicions started'],
  ['refutes', 'suspicions of ourselves refuted'],
  ['corrections', 'stale accusations answered with the newer claim'],
  ['deaths', 'members declared dead'],
  ['updatesApplied', 'membership claims that changed the table'],
  ['updatesStale', 'claims already known'],
  ['userEvents', 'user events delivered'],
  ['pushPulls', 'full states merged from push-pull syncs'],
  ['syncsInSync', 'periodic syncs skipped: both tables had the same fingerprint'],
  ['gossipDialsSkipped', 'gossip targets skipped rather than dialled (gossip dial limit)'],
  ['firstContactProbes', "probe rounds whose clock waited for their target's connection to open"],
  ['connectGraceExpired', 'of those, rounds whose clock started because connectGraceMs ran out'],
  ['packetsIn', 'packets received'],
  ['packetsOut', 'packets sent'],
  ['bytesIn', 'bytes received'],
  ['bytesOut', 'bytes sent'],
]

/** Prometheus metrics for `GET /metrics`, computed from the service's counters at scrape time. */
export function createMetrics(service: MembershipService): Registry {
  const registry = new Registry()
  for (const [key, help] of COUNTERS) {
    new Counter({
      name: `murmur_${snake(key)}_total`,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(service.stats()[key] as number)
      },
    })
  }
  new Counter({
    name: 'murmur_dropped_total',
    help: 'incoming messages or claims dropped, by reason',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(service.stats().drops)) this.inc({ reason }, n)
    },
  })
  new Gauge({
    name: 'murmur_members',
    help: 'members known, by state (ourselves included)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
      for (const m of service.members()) counts[m.state]++
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
    },
  })
  new Gauge({
    name: 'murmur_health_score',
    help: 'Lifeguard local health score (0 = healthy)',
    registers: [registry],
    collect() {
      this.set(service.healthScore())
    },
  })
  new Gauge({
    name: 'murmur_broadcast_queue_depth',
    help: 'membership updates waiting to be gossiped',
    registers: [registry],
    collect() {
      this.set(service.stats().queueDepth)
    },
  })
  registerConnectionMetrics(registry, service)
  return registry
}

/** The transport's connections (issue 16): held now, handshakes, dials slower than a probe, reaped. */
function registerConnectionMetrics(registry: Registry, service: MembershipService): void {
  const transport = () => service.stats().transport
  new Gauge({
    name: 'murmur_connections',
    help: 'peers this node holds an open libp2p connection to',
    registers: [registry],
    collect() {
      this.set(transport().connections)
    },
  })
  new Counter({
    name: 'murmur_handshakes_total',
    help: 'connections that carried Murmur traffic, each a Noise handshake, by who dialled',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset()
      const h = transport().handshakes
      this.inc({ direction: 'outbound' }, h.outbound)
      this.inc({ direction: 'inbound' }, h.inbound)
    },
  })
  const counters: Array<[string, string, 'slowDials' | 'dialFailures' | 'connectionsReaped']> = [
    [
      'murmur_slow_dials_total',
      'dials slower than the probe timeout (a probe failed because of the dial)',
      'slowDials',
    ],
    ['murmur_dial_failures_total', 'dials that failed', 'dialFailures'],
    [
      'murmur_connections_reaped_total',
      'connections closed by the connection budget (--max-connections)',
      'connectionsReaped',
    ],
  ]
  for (const [name, help, key] of counters) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(transport()[key])
      },
    })
  }
  new Counter({
    name: 'murmur_dial_seconds_total',
    help: 'time spent in successful dials (divide by murmur_handshakes_total{direction="outbound"} for the mean)',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(transport().dialMs / 1000)
    },
  })
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
