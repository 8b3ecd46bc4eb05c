import assert from 'node:assert/strict'
import { DecodeError, MessageTooLargeError, resolveConfig, seededRandom } from '@murmur/core'
import {
  DECODE_LIMITS,
  decodePacket,
  decodePushPull,
  encodePacket,
  encodePushPull,
  Kind,
  PROTOCOL_VERSION,
  updateSigningBytes,
} from '@murmur/core/wire'
import { encodeUpdate } from '../src/codec/cache.ts'
import { Packet, PushPull, Update } from '../src/codec/messages.ts'
import { type ClaimHeader, type ScannedClaims, scanPacket, scanPushPull } from '../src/codec/scan.ts'
import { alive, claim, SEED, userEvent } from './helpers.ts'

const limits = resolveConfig()

function decodeFails(bytes: Uint8Array, reason: string, name = 'DecodeError'): void {
  assert.throws(
    () => decodePacket(bytes, limits),
    (err: Error & { reason?: string; code?: string }) => {
      assert.equal(err.name, name)
      if (name === 'DecodeError') {
        assert.ok(err instanceof DecodeError)
        assert.equal(err.code, 'ERR_DECODE')
        assert.equal(err.reason, reason)
      }
      return true
    },
  )
}

describe('codec', () => {
  it('round-trips a packet with every field', () => {
    const p = {
      ping: { seq: 7, target: 'b', wantCoordinate: true },
      ack: {
        seq: 8,
        payload: Uint8Array.from([1, 2]),
        coordinate: { vec: [1.5, -2, 0, 0, 0, 0, 0, 0.25], error: 0.5, adjustment: -0.125, height: 0.5 },
      },
      nack: { seq: 9 },
      pingReq: { seq: 10, target: 'c', targetAddrs: ['/ip4/1.2.3.4/tcp/5'] },
      updates: [
        alive('a', 3, { metadata: Uint8Array.from([9, 9]), signature: Uint8Array.from([1]) }),
        claim(Kind.SUSPECT, 'c', 2, 'a'),
        claim(Kind.DEAD, 'd', 4294967295, 'a'),
        claim(Kind.LEFT, 'e', 1, 'e'),
      ],
      events: [userEvent('a', 12, 'deploy', { payload: Uint8Array.from([5]) })],
      queries: [
        {
          origin: 'a',
          incarnation: 3,
          seq: 1,
          name: 'who',
          payload: Uint8Array.from([7]),
          filterIds: ['b'],
          filterTags: ['role=web'],
          timeoutMs: 500,
          wantAck: true,
          relayFactor: 2,
          signature: Uint8Array.from([1]),
        },
      ],
      responses: [
        {
          origin: 'a',
          incarnation: 3,
          seq: 1,
          from: 'b',
          ack: false,
          payload: Uint8Array.from([8]),
          signature: Uint8Array.from([2]),
        },
      ],
    }
    const decoded = decodePacket(encodePacket(p), limits)
    assert.deepEqual(decoded, { version: PROTOCOL_VERSION, ...p })
  })

  it('round-trips an empty packet and a push-pull state', () => {
    assert.deepEqual(decodePacket(encodePacket({}), limits), {
      version: PROTOCOL_VERSION,
      updates: [],
      events: [],
      queries: [],
      responses: [],
    })
    const s = {
      join: true,
      updates: [alive('a'), claim(Kind.DEAD, 'b', 1, 'a')],
      events: [userEvent('a', 1, 'x')],
      eventLtime: 5,
    }
    assert.deepEqual(decodePushPull(encodePushPull(s), limits), {
      version: PROTOCOL_VERSION,
      mode: 0,
      digestLo: 0,
      digestHi: 0,
      ...s,
    })
    const d = { ...s, mode: 1, digestLo: 0xffffffff, digestHi: 7 }
    assert.deepEqual(decodePushPull(encodePushPull(d), limits), { version: PROTOCOL_VERSION, ...d })
    // written exactly as protons writes it, the sync fields after the claims and events
    assert.deepEqual(encodePushPull(d), PushPull.encode({ version: PROTOCOL_VERSION, ...d }))
  })

  it('rejects another protocol version with reason "version"', () => {
    decodeFails(Packet.encode({ version: PROTOCOL_VERSION + 1, updates: [], events: [] }), 'version')
    decodeFails(new Uint8Array(0), 'version') // no version field at all
    assert.throws(
      () =>
        decodePushPull(PushPull.encode({ version: 2, join: false, updates: [], events: [], eventLtime: 0 }), limits),
      {
        name: 'DecodeError',
        reason: 'version',
      },
    )
  })

  it('rejects an oversized message before decoding it', () => {
    decodeFails(new Uint8Array(limits.maxPacketBytes + 1), '', 'MessageTooLargeError')
    const big = encodePushPull({
      join: false,
      updates: [alive('a', 0, { metadata: new Uint8Array(2000) })],
      events: [],
      eventLtime: 0,
    })
    assert.throws(
      () => decodePushPull(big, { ...limits, maxSyncBytes: 1000 }),
      (err: Error) => err instanceof MessageTooLargeError,
    )
    assert.throws(() => decodePushPull(big, { ...limits, maxSyncBytes: 1000 }), { code: 'ERR_MESSAGE_TOO_LARGE' })
  })

  it('rejects garbage with reason "malformed"', () => {
    decodeFails(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'malformed') // endless varint
    decodeFails(Uint8Array.from([0x32, 0x10, 0x01]), 'malformed') // 16 bytes announced, 1 present
    decodeFails(Uint8Array.from([0x08, 0x01, 0x32, 0x02, 0x08, 0x07]), 'malformed') // update kind 7 is no Kind
    decodeFails(Uint8Array.from([0x08, 0x01, 0x7f]), 'malformed') // wire type 7 does not exist
  })

  it('rejects too many repeated fields with reason "too-many-fields"', () => {
    const updates = Array.from({ length: DECODE_LIMITS.updatesPerPacket + 1 }, (_, i) => alive(`m${i}`))
    const many = encodePacket({ updates })
    assert.ok(many.byteLength <= limits.maxPacketBytes, 'the test must hit the count limit, not the size limit')
    decodeFails(many, 'too-many-fields')
    const addrs = Array.from({ length: limits.maxAddrsPerMember + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`)
    decodeFails(encodePacket({ updates: [alive('a', 0, { addrs })] }), 'too-many-fields')
    decodeFails(encodePacket({ pingReq: { seq: 1, target: 'x', targetAddrs: addrs } }), 'too-many-fields')
    // exactly at the limits is fine
    assert.equal(
      decodePacket(encodePacket({ updates: updates.slice(1) }), limits).updates.length,
      DECODE_LIMITS.updatesPerPacket,
    )
  })

  it('writes exactly the bytes protons writes, from the cached encodings of claims and events', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) // lengths past one varint byte
    const updates = [
      alive('a', 3, { metadata: big, addrs: ['/ip4/1.2.3.4/tcp/5', 'x'.repeat(200)] }),
      claim(Kind.SUSPECT, 'c', 2, 'a'),
      claim(Kind.DEAD, 'd', 4294967295, 'a', { signature: big }),
    ]
    const events = [userEvent('a', 12, 'deploy', { payload: big }), userEvent('b', 0, 'x')]
    const packets: Array<Partial<Packet>> = [
      {},
      { ping: { seq: 1, target: 'b', wantCoordinate: true } },
      { ack: { seq: 4294967295, payload: big }, updates },
      { nack: { seq: 3 }, events },
      { pingReq: { seq: 2, target: 'c', targetAddrs: ['c'] }, updates, events },
    ]
    for (const p of packets) {
      const expected = Packet.encode({ updates: [], events: [], ...p, version: PROTOCOL_VERSION })
      assert.deepEqual(encodePacket(p), expected)
      assert.deepEqual(encodePacket(p), expected, 'the second time, from the cache')
    }
    for (const join of [false, true]) {
      for (const eventLtime of [0, 1, 300, 4294967295]) {
        for (const s of [
          { updates: [], events: [] },
          { updates, events },
        ]) {
          const msg = { join, eventLtime, ...s }
          assert.deepEqual(encodePushPull(msg), PushPull.encode({ ...msg, version: PROTOCOL_VERSION }))
        }
      }
    }
  })

  describe('scanPushPull (the fast path of push-pull merges)', () => {
    const updates = [
      alive('a', 3, { metadata: Uint8Array.from({ length: 200 }, (_, i) => i), addrs: ['/ip4/1.2.3.4/tcp/5', 'b'] }),
      claim(Kind.SUSPECT, 'c', 2, 'a'),
      claim(Kind.DEAD, 'd', 4294967295, 'a', { signature: Uint8Array.from([1, 2]) }),
      claim(Kind.LEFT, 'é€😀', 1, 'é€😀'),
      alive('forged', 0, { from: 'x' }),
      alive('', 0, { from: '' }),
    ]
    const state = {
      join: true,
      updates,
      events: [userEvent('a', 9, 'e', { payload: Uint8Array.from([1]) })],
      eventLtime: 77,
    }

    function agrees(bytes: Uint8Array): void {
      const full = decodePushPull(bytes, limits)
      const scanned = scanPushPull(bytes, limits)
      assert.ok(scanned !== undefined)
      assert.equal(scanned.join, full.join)
      assert.equal(scanned.eventLtime, full.eventLtime)
      assert.deepEqual(scanned.events, full.events)
      assert.equal(scanned.claims.count, full.updates.length)
      for (const u of full.updates) {
        assert.ok(scanned.claims.next())
        const h: ClaimHeader = { ...scanned.claims.header() }
        assert.deepEqual(scanned.claims.update(), u)
        // a claim recognised as canonical is forwarded as received: that must be its encoding
        assert.deepEqual(encodeUpdate(scanned.claims.update()), Update.encode(u))
        assert.equal(h.kind, u.kind)
        assert.equal(h.id, u.id)
        assert.equal(h.incarnation, u.incarnation)
        // byte lengths bound the string lengths: a lenient UTF-8 decode makes at most 2 characters of a byte
        assert.equal(h.fromBytes === 0, u.from === '')
        assert.ok(2 * h.fromBytes >= u.from.length)
        assert.equal(h.fromIsId, u.from === u.id && u.id !== '')
        assert.equal(h.metadataBytes, u.metadata.byteLength)
        assert.equal(h.addrs, u.addrs.length)
        assert.ok(2 * h.maxAddrBytes >= Math.max(0, ...u.addrs.map((a) => a.length)))
      }
      assert.equal(scanned.claims.next(), false)
    }

    it('reads every claim header and claim as the full decoder does', () => {
      agrees(encodePushPull(state))
      agrees(encodePushPull({ join: false, updates: [], events: [], eventLtime: 0 }))
    })

    it('declines anything irregular, leaving it to the full decoder', () => {
      const ok = encodePushPull(state)
      const claimBytes = (u: Partial<Update>) => Update.encode({ ...alive('z'), ...u })
      const withClaim = (raw: Uint8Array) => Uint8Array.from([...ok, 0x1a, raw.byteLength, ...raw])
      const irregular: Array<[string, Uint8Array]> = [
        ['another version', encodePushPull(state).map((b, i) => (i === 1 ? 2 : b))],
        ['an unknown top-level field', Uint8Array.from([...ok, 0x48, 0x01])],
        ['a repeated singular field', Uint8Array.from([...ok, 0x08, 0x01])],
        ['a wrong wire type', Uint8Array.from([...ok, 0x1d, 0, 0, 0, 0])],
        ['a truncated claim', Uint8Array.from([...ok, 0x1a, 0x05, 0x12])],
        ['an unknown kind', withClaim(Uint8Array.from([0x08, 0x09, 0x12, 0x01, 0x7a]))],
        ['an unknown claim field', withClaim(Uint8Array.from([...claimBytes({}), 0x40, 0x01]))],
        ['too many addresses', withClaim(claimBytes({ addrs: Array.from({ length: 17 }, () => 'x') }))],
        ['an oversized state', new Uint8Array(limits.maxSyncBytes + 1)],
      ]
      for (const [what, bytes] of irregular) assert.equal(scanPushPull(bytes, limits), undefined, what)
    })

    it('never accepts what the full decoder rejects, nor disagrees with it (fuzz)', () => {
      const random = seededRandom(SEED)
      const base = encodePushPull(state)
      let accepted = 0
      for (let i = 0; i < 3000; i++) {
        const bytes = base.slice(0, Math.max(1, base.byteLength - Math.floor(random.next() * 4)))
        for (let j = 0; j < 1 + Math.floor(random.next() * 3); j++) {
          bytes[Math.floor(random.next() * bytes.byteLength)] = Math.floor(random.next() * 256)
        }
        let full: unknown
        try {
          full = decodePushPull(bytes, limits)
        } catch {
          full = undefined
        }
        const scanned = scanPushPull(bytes, limits)
        if (full === undefined) assert.equal(scanned, undefined, `accepted what the decoder rejects: ${bytes}`)
        else if (scanned !== undefined) {
          agrees(bytes)
          accepted++
        }
      }
      assert.ok(accepted > 50, `only ${accepted} mutants were regular`)
    })
  })

  describe('scanPacket (the fast path of packet handling)', () => {
    const updates = [
      alive('a', 3, { metadata: Uint8Array.from([1, 2]) }),
      claim(Kind.SUSPECT, 'c', 2, 'a'),
      alive('', 0),
    ]
    const events = [userEvent('a', 9, 'e', { payload: Uint8Array.from([1]) })]
    const packets = [
      {},
      { ping: { seq: 7, target: 'b' }, updates },
      { ack: { seq: 8, payload: Uint8Array.from([1, 2]) }, events },
      { nack: { seq: 0 } },
      { pingReq: { seq: 10, target: 'c', targetAddrs: ['/ip4/1.2.3.4/tcp/5'] }, updates, events },
      {
        ping: { seq: 1, target: 'x' },
        ack: { seq: 2, payload: new Uint8Array(0) },
        nack: { seq: 3 },
        pingReq: { seq: 4, target: 'y', targetAddrs: [] },
      },
      {
        events,
        queries: [
          {
            origin: 'a',
            incarnation: 1,
            seq: 2,
            name: 'q',
            payload: Uint8Array.from([3]),
            filterIds: ['b', 'c'],
            filterTags: ['k=v.*'],
            timeoutMs: 100,
            wantAck: false,
            relayFactor: 0,
            signature: Uint8Array.from([4]),
          },
        ],
        responses: [
          {
            origin: 'b',
            incarnation: 1,
            seq: 3,
            from: 'a',
            ack: true,
            payload: new Uint8Array(0),
            signature: Uint8Array.from([5]),
          },
        ],
      },
    ]

    function sameClaims(claims: ScannedClaims, full: Update[]): void {
      assert.equal(claims.count, full.length)
      for (const u of full) {
        assert.ok(claims.next())
        assert.deepEqual(claims.update(), u)
        assert.deepEqual(encodeUpdate(claims.update()), Update.encode(u))
        assert.equal(claims.header().id, u.id)
        assert.equal(claims.header().incarnation, u.incarnation)
      }
      assert.equal(claims.next(), false)
    }

    function agreesPacket(bytes: Uint8Array): void {
      const full = decodePacket(bytes, limits)
      const scanned = scanPacket(bytes, limits)
      assert.ok(scanned !== undefined)
      assert.deepEqual(
        {
          ping: scanned.ping,
          ack: scanned.ack,
          nack: scanned.nack,
          pingReq: scanned.pingReq,
          events: scanned.events,
          queries: scanned.queries,
          responses: scanned.responses,
        },
        {
          ping: full.ping,
          ack: full.ack,
          nack: full.nack,
          pingReq: full.pingReq,
          events: full.events,
          queries: full.queries,
          responses: full.responses,
        },
      )
      sameClaims(scanned.claims, full.updates)
    }

    it('reads every field and claim as the full decoder does', () => {
      for (const p of packets) agreesPacket(encodePacket(p))
    })

    it('declines anything irregular, leaving it to the full decoder', () => {
      const ok = encodePacket(packets[1])
      const irregular: Array<[string, Uint8Array]> = [
        ['another version', Packet.encode({ version: 2, updates: [], events: [] })],
        ['no version', new Uint8Array(0)],
        ['a second ping', Uint8Array.from([...ok, 0x12, 0x02, 0x08, 0x01])],
        ['an unknown field', Uint8Array.from([...ok, 0x40, 0x01])],
        ['a broken ping', Uint8Array.from([0x08, 0x01, 0x12, 0x02, 0x12, 0x09])],
        [
          'too many claims',
          encodePacket({
            updates: Array.from({ length: DECODE_LIMITS.updatesPerPacket + 1 }, (_, i) => alive(`m${i}`)),
          }),
        ],
        ['an oversized packet', new Uint8Array(limits.maxPacketBytes + 1)],
      ]
      for (const [what, bytes] of irregular) assert.equal(scanPacket(bytes, limits), undefined, what)
    })

    it('never accepts what the full decoder rejects, nor disagrees with it (fuzz)', () => {
      const random = seededRandom(SEED + 1)
      let accepted = 0
      for (let i = 0; i < 3000; i++) {
        const base = encodePacket(packets[i % packets.length])
        const bytes = base.slice(0, Math.max(1, base.byteLength - Math.floor(random.next() * 3)))
        for (let j = 0; j < 1 + Math.floor(random.next() * 2); j++) {
          bytes[Math.floor(random.next() * bytes.byteLength)] = Math.floor(random.next() * 256)
        }
        let ok = true
        try {
          decodePacket(bytes, limits)
        } catch {
          ok = false
        }
        const scanned = scanPacket(bytes, limits)
        if (!ok) assert.equal(scanned, undefined, `accepted what the decoder rejects: ${bytes}`)
        else if (scanned !== undefined) {
          agreesPacket(bytes)
          accepted++
        }
      }
      assert.ok(accepted > 50, `only ${accepted} mutants were regular`)
    })
  })

  it('signs a claim over its content without the signature, in its own domain', () => {
    const u = alive('a', 1, { signature: Uint8Array.from([1, 2, 3]) })
    const bytes = updateSigningBytes(u)
    assert.deepEqual(bytes, updateSigningBytes({ ...u, signature: Uint8Array.from([9]) }))
    assert.notDeepEqual(bytes, updateSigningBytes({ ...u, incarnation: 2 }))
    assert.ok(new TextDecoder().decode(bytes).startsWith('murmur/update/v1\n'))
  })
})

describe('unpin', () => {
  it('copies byte fields that are views into a larger buffer, in place, and leaves owned ones alone', async () => {
    const { unpin } = await import('../src/codec/index.ts')
    const message = new Uint8Array(1024)
    const u = { ...claim(Kind.SUSPECT, 'a', 1, 'b'), signature: message.subarray(10, 74), metadata: new Uint8Array(3) }
    const own = u.metadata
    unpin(u)
    assert.equal(u.signature.byteLength, 64)
    assert.equal(u.signature.buffer.byteLength, 64, 'no longer pins the 1 KiB message')
    assert.equal(u.metadata, own)
  })
})
