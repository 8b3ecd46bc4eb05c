import assert from 'node:assert/strict'
import { type Coordinate, estimateRttMs, seededRandom, VIVALDI, VivaldiClient, validCoordinate } from '@murmur/core'
import { alive, lone, packet, SEED } from './helpers.ts'

const at = (vec0: number, extra: Partial<Coordinate> = {}): Coordinate => ({
  vec: [vec0, 0, 0, 0, 0, 0, 0, 0],
  error: 0.5,
  adjustment: 0,
  height: 1,
  ...extra,
})

describe('network coordinates', () => {
  it('validCoordinate: shape, finiteness and bounds', () => {
    const table: Array<[Coordinate | undefined, boolean]> = [
      [at(10), true],
      [undefined, false],
      [{ ...at(10), vec: [1, 2, 3] }, false],
      [at(Number.NaN), false],
      [at(Number.POSITIVE_INFINITY), false],
      [at(2e6), false],
      [at(10, { error: -0.1 }), false],
      [at(10, { error: VIVALDI.errorMax + 0.1 }), false],
      [at(10, { height: 0 }), false],
      [at(10, { height: Math.fround(VIVALDI.heightMinMs) }), true], // as a 32-bit float reads it back
      [at(10, { adjustment: Number.NaN }), false],
    ]
    for (const [c, ok] of table) assert.equal(validCoordinate(c), ok, JSON.stringify(c))
  })

  it('estimateRttMs: distance plus heights plus adjustments, never below the raw distance when those are negative', () => {
    assert.equal(estimateRttMs(at(0), at(30)), 32)
    assert.equal(estimateRttMs(at(0, { adjustment: 2 }), at(30, { adjustment: 1 })), 35)
    assert.equal(estimateRttMs(at(0, { adjustment: -100 }), at(30)), 32)
  })

  it('two nodes learn the RTT between them; absurd observations change nothing', () => {
    const a = new VivaldiClient(seededRandom(SEED))
    const b = new VivaldiClient(seededRandom(SEED + 1))
    for (let i = 0; i < 200; i++) {
      a.update('b', b.coordinate, 40)
      b.update('a', a.coordinate, 40)
    }
    const est = estimateRttMs(a.coordinate, b.coordinate)
    assert.ok(Math.abs(est - 40) < 4, `estimated ${est} ms for 40`)
    const before = a.coordinate
    assert.equal(a.update('b', b.coordinate, 0), false)
    assert.equal(a.update('b', b.coordinate, VIVALDI.maxRttMs + 1), false)
    assert.equal(a.update('b', { ...b.coordinate, vec: [Number.NaN, 0, 0, 0, 0, 0, 0, 0] }, 40), false)
    assert.deepEqual(a.coordinate, before)
  })

  it('the latency filter keeps samples for a bounded number of peers', () => {
    const a = new VivaldiClient(seededRandom(SEED))
    for (let i = 0; i < VIVALDI.filterPeers * 3; i++) a.update(`p${i}`, at(10), 20)
    assert.equal((a as unknown as { samples: Map<string, number[]> }).samples.size, VIVALDI.filterPeers)
  })

  it('an ack with a malformed coordinate still counts as an ack; the coordinate is dropped and counted', async () => {
    const { m, clock, sent } = await lone('a', { config: { coordinateEvery: 1 } })
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    while (!sent.some((s) => s.packet.ping !== undefined)) clock.advance(10)
    const ping = sent.find((s) => s.packet.ping !== undefined)!
    assert.equal(ping.packet.ping?.wantCoordinate, true, 'a new node asks')
    const bad = { ...at(10), vec: [10, 0, 0, 0, 0, 0, 0, 0], error: 99 }
    m.handlePacket('b', packet({ ack: { seq: ping.packet.ping!.seq, payload: new Uint8Array(0), coordinate: bad } }))
    assert.equal(m.stats().acks, 1)
    assert.equal(m.stats().drops['invalid-coordinate'], 1)
    assert.equal(m.estimateRtt('b'), undefined)
  })

  it('a ping that asks gets our coordinate in the ack; one that does not, none', async () => {
    const { m, sent } = await lone('a')
    m.handlePacket('b', packet({ updates: [alive('b')] }))
    m.handlePacket('b', packet({ ping: { seq: 1, target: 'a', wantCoordinate: true } }))
    m.handlePacket('b', packet({ ping: { seq: 2, target: 'a' } }))
    const acks = sent.filter((s) => s.packet.ack !== undefined)
    assert.deepEqual(
      acks.map((s) => s.packet.ack?.coordinate !== undefined),
      [true, false],
    )
    assert.ok(validCoordinate(acks[0].packet.ack?.coordinate))
  })
})
