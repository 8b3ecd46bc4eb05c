import assert from 'node:assert/strict'
import {
  DECODE_LIMITS,
  DecodeError,
  decodePacket,
  decodePushPull,
  encodePacket,
  encodePushPull,
  Kind,
  MessageTooLargeError,
  PROTOCOL_VERSION,
  resolveConfig,
  updateSigningBytes,
} from '@murmur/core'
import { Packet, PushPull } from '../src/codec/messages.ts'
import { alive, claim, userEvent } from './helpers.ts'

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
      ping: { seq: 7, target: 'b' },
      ack: { seq: 8, payload: Uint8Array.from([1, 2]) },
      nack: { seq: 9 },
      pingReq: { seq: 10, target: 'c', targetAddrs: ['/ip4/1.2.3.4/tcp/5'] },
      updates: [
        alive('a', 3, { metadata: Uint8Array.from([9, 9]), signature: Uint8Array.from([1]) }),
        claim(Kind.SUSPECT, 'c', 2, 'a'),
        claim(Kind.DEAD, 'd', 4294967295, 'a'),
        claim(Kind.LEFT, 'e', 1, 'e'),
      ],
      events: [userEvent('a', 12, 'deploy', { payload: Uint8Array.from([5]) })],
    }
    const decoded = decodePacket(encodePacket(p), limits)
    assert.deepEqual(decoded, { version: PROTOCOL_VERSION, ...p })
  })

  it('round-trips an empty packet and a push-pull state', () => {
    assert.deepEqual(decodePacket(encodePacket({}), limits), { version: PROTOCOL_VERSION, updates: [], events: [] })
    const s = {
      join: true,
      updates: [alive('a'), claim(Kind.DEAD, 'b', 1, 'a')],
      events: [userEvent('a', 1, 'x')],
      eventLtime: 5,
    }
    assert.deepEqual(decodePushPull(encodePushPull(s), limits), { version: PROTOCOL_VERSION, ...s })
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

  it('signs a claim over its content without the signature, in its own domain', () => {
    const u = alive('a', 1, { signature: Uint8Array.from([1, 2, 3]) })
    const bytes = updateSigningBytes(u)
    assert.deepEqual(bytes, updateSigningBytes({ ...u, signature: Uint8Array.from([9]) }))
    assert.notDeepEqual(bytes, updateSigningBytes({ ...u, incarnation: 2 }))
    assert.ok(new TextDecoder().decode(bytes).startsWith('murmur/update/v1\n'))
  })
})
