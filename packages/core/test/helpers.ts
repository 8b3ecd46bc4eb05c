import {
  type ConfigInput,
  type MemberState,
  Membership,
  type MembershipInit,
  type Transport,
  type TransportHandlers,
  type Update,
  type UserEvent,
} from '@murmur/core'
import { ManualClock, SimNetwork, type SimOptions, seededRandom } from '@murmur/core/testing'
import { decodePacket, encodePacket, Kind, type Packet, type PacketInput } from '@murmur/core/wire'
import type { MemberRecord } from '../src/member-list.ts'

/** The seed of every test's randomness; override with MURMUR_SEED to replay a failure. */
export const SEED = Number(process.env.MURMUR_SEED ?? 1)

// Printed once per failed test, so that any failure can be replayed.
afterEach(function () {
  if (this.currentTest?.state === 'failed') console.error(`    (seed ${SEED}; replay with MURMUR_SEED=${SEED})`)
})

export const EMPTY = new Uint8Array(0)

/** A claim as its subject would make it. */
export function alive(id: string, incarnation = 0, extra: Partial<Update> = {}): Update {
  return { kind: Kind.ALIVE, id, incarnation, from: id, addrs: [id], metadata: EMPTY, signature: EMPTY, ...extra }
}

/** An accusation (or a leave, when `from === id`). */
export function claim(kind: Kind, id: string, incarnation: number, from: string, extra: Partial<Update> = {}): Update {
  return { kind, id, incarnation, from, addrs: [], metadata: EMPTY, signature: EMPTY, ...extra }
}

export function userEvent(origin: string, ltime: number, name: string, extra: Partial<UserEvent> = {}): UserEvent {
  return { origin, ltime, name, payload: EMPTY, signature: EMPTY, ...extra }
}

/** Encodes a packet: any probe fields plus updates and events. */
export function packet(fields: PacketInput = {}): Uint8Array {
  return encodePacket({ updates: [], events: [], ...fields })
}

export interface SentPacket {
  to: string
  /** When it was sent (the `now` given to recordingTransport). */
  at: number
  bytes: Uint8Array
  packet: Packet
}

/**
 * A transport that records every packet sent, optionally forwarding to a real one. Without
 * `inner`, every packet is lost and every request is refused.
 */
export function recordingTransport(
  inner?: Transport,
  now: () => number = () => 0,
): {
  transport: Transport
  sent: SentPacket[]
  handlers: () => TransportHandlers | undefined
} {
  const sent: SentPacket[] = []
  let handlers: TransportHandlers | undefined
  const limits = { maxPacketBytes: 1 << 20, maxSyncBytes: 1 << 24, maxAddrsPerMember: 64 }
  return {
    sent,
    handlers: () => handlers,
    transport: {
      listen: (h) => {
        handlers = h
        inner?.listen(h)
      },
      send: (to, bytes) => {
        sent.push({ to: to.id, at: now(), bytes, packet: decodePacket(bytes, limits) })
        return inner?.send(to, bytes)
      },
      request: (to, bytes, options) =>
        inner !== undefined ? inner.request(to, bytes, options) : Promise.reject(new Error('no route')),
    },
  }
}

/**
 * One started engine on its own ManualClock, talking to nobody: every packet it sends is
 * recorded. Drive it with handlePacket() and clock.advance().
 */
export async function lone(
  id = 'a',
  init: Partial<MembershipInit> = {},
): Promise<{ m: Membership; clock: ManualClock; sent: SentPacket[] }> {
  const clock = new ManualClock()
  const rec = recordingTransport(undefined, () => clock.now())
  const m = new Membership({
    id,
    addrs: [id],
    transport: rec.transport,
    clock,
    random: seededRandom(SEED),
    ...init,
  })
  await m.start()
  return { m, clock, sent: rec.sent }
}

/** n started nodes named by `ids`, all joined through the first; runs until everyone sees everyone alive. */
export async function simCluster(
  ids: string[],
  options: SimOptions & { config?: ConfigInput; init?: (id: string) => Partial<MembershipInit> } = {},
): Promise<{ net: SimNetwork; nodes: Membership[] }> {
  const net = new SimNetwork({ seed: SEED, latencyMs: 1, ...options })
  const nodes = ids.map((id) => net.addNode(id, options.init?.(id) ?? {}))
  for (const m of nodes) await m.start()
  const joins = nodes.slice(1).map((m) => m.join([ids[0]]))
  await net.clock.run(100)
  await Promise.all(joins)
  await runUntil(net, () => converged(nodes), 30_000)
  return { net, nodes }
}

/** True when every node sees every other as alive. */
export function converged(nodes: Membership[]): boolean {
  return nodes.every((v) => nodes.every((m) => v.member(m.id)?.state === 'alive'))
}

/** Runs virtual time in steps until `pred` holds; throws after `maxMs`. Returns the time it took. */
export async function runUntil(net: SimNetwork, pred: () => boolean, maxMs: number, stepMs = 10): Promise<number> {
  const start = net.clock.now()
  while (!pred()) {
    if (net.clock.now() - start >= maxMs) throw new Error(`condition not met within ${maxMs} virtual ms`)
    await net.clock.run(stepMs, stepMs)
  }
  return net.clock.now() - start
}

/** Every packet field, with updates and events decoded, sent to `to`. */
export function sentTo(sent: SentPacket[], to: string): Packet[] {
  return sent.filter((s) => s.to === to).map((s) => s.packet)
}

/** A member record as the engine keeps it, for MemberList and probe-order tests. */
export function memberRecord(id: string, state: MemberState = 'alive'): MemberRecord {
  return {
    id,
    addrs: [id],
    state,
    incarnation: 0,
    metadata: new Uint8Array(0),
    stateChangedAt: 0,
    aliveClaim: alive(id),
  }
}
