import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Update } from '@murmur/core'
import { encodePacket, Kind, updateSigningBytes } from '@murmur/core/wire'
import { encode } from 'it-length-prefixed'
import { type FrameErrorReason, PACKET_PROTOCOL, SYNC_PROTOCOL } from '../src/index.ts'
import { addrsOf, converged, type MurmurNode, Nodes, prefix, streamEnded, until } from './helpers.ts'

const EMPTY = new Uint8Array(0)
const text = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s)

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

async function signed(claim: Update, key: PrivateKey): Promise<Update> {
  return { ...claim, signature: new Uint8Array(await key.sign(updateSigningBytes(claim))) }
}

interface BadFrame {
  name: string
  bytes: (max: number) => Uint8Array
  /** Close our end after sending (the frame is cut short by the end of the stream). */
  close?: boolean
  reason: FrameErrorReason
}

/** The same abuse for both protocols; `max` is the protocol's frame bound. */
const BAD_FRAMES: BadFrame[] = [
  {
    name: 'an oversized length prefix',
    bytes: (max) => concat(prefix(max + 1), new Uint8Array(64)),
    reason: 'too-large',
  },
  { name: 'a truncated frame', bytes: () => concat(prefix(100), new Uint8Array(10)), close: true, reason: 'truncated' },
  { name: 'a length prefix that is not a varint', bytes: () => new Uint8Array(12).fill(0xff), reason: 'malformed' },
  {
    name: 'a well-framed garbage message',
    bytes: () => encode.single(text('GET / HTTP/1.1\r\n\r\n')).subarray(),
    reason: 'rejected',
  },
]

describe('hostile input over real libp2p streams', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  async function clusterAndRaw(): Promise<{ a: MurmurNode; b: MurmurNode; raw: Libp2p; key: PrivateKey }> {
    const [a, b] = await net.cluster(2)
    await until(() => converged([a, b]), 'convergence', AbortSignal.timeout(10_000))
    const key = await generateKeyPair('Ed25519')
    const raw = await net.raw({ privateKey: key })
    return { a, b, raw, key }
  }

  it('drops and counts an alive claim signed by the wrong key; accepts the same claim signed right', async () => {
    const { a, b, raw, key } = await clusterAndRaw()
    const svc = a.services.membership
    const rawId = raw.peerId.toString()
    const bId = b.peerId.toString()
    const stream = await raw.dialProtocol(multiaddr(addrsOf(a)[0]), PACKET_PROTOCOL)
    const send = (u: Update) => stream.send(encode.single(encodePacket({ updates: [u] })))
    const badSignatures = () => svc.stats().drops['bad-signature']

    const claim: Update = {
      kind: Kind.ALIVE,
      id: rawId,
      incarnation: 7,
      from: rawId,
      addrs: addrsOf(raw),
      metadata: EMPTY,
      signature: EMPTY,
    }
    send(await signed(claim, await generateKeyPair('Ed25519')))
    await until(() => badSignatures() === 1, 'the forged claim to be counted', AbortSignal.timeout(5000))
    assert.equal(svc.member(rawId), undefined)

    // a claim about an existing member, signed by someone else's key
    const before = svc.member(bId)!
    const aboutB: Update = {
      ...claim,
      id: bId,
      from: bId,
      incarnation: before.incarnation + 5,
      addrs: ['/ip4/6.6.6.6/tcp/1'],
      metadata: text('evil'),
    }
    send(await signed(aboutB, key))
    send({ ...aboutB, signature: new Uint8Array(3) }) // not even 64 bytes: verify would throw
    await until(() => badSignatures() === 3, 'both forgeries about b to be counted', AbortSignal.timeout(5000))
    assert.equal(svc.member(bId)!.incarnation, before.incarnation)
    assert.deepEqual(svc.member(bId)!.addrs, before.addrs)

    // control: the same claim signed with the right key gets in, over the same stream
    send(await signed(claim, key))
    await until(
      () => svc.member(rawId)?.incarnation === 7,
      'the genuine claim to be applied',
      AbortSignal.timeout(5000),
    )
    assert.equal(badSignatures(), 3)
    assert.equal(stream.status, 'open')
  })

  for (const [protocol, limit] of [
    [PACKET_PROTOCOL, 'maxPacketBytes'],
    [SYNC_PROTOCOL, 'maxSyncBytes'],
  ] as const) {
    it(`${protocol}: garbage, oversized and truncated frames reset the stream, are counted, and the node keeps working`, async () => {
      const { a, b, raw } = await clusterAndRaw()
      const svc = a.services.membership
      const target = multiaddr(addrsOf(a)[0])
      for (const bad of BAD_FRAMES) {
        const before = svc.stats()
        const stream: Stream = await raw.dialProtocol(target, protocol)
        stream.send(bad.bytes(svc.config[limit]))
        if (bad.close) await stream.close({ signal: AbortSignal.timeout(2000) })
        const status = await streamEnded(stream, AbortSignal.timeout(5000))
        assert.ok(status === 'reset' || status === 'aborted', `${bad.name}: the stream was ${status}, not reset`)
        const count = () => svc.stats().transport.frameErrors[bad.reason]
        await until(
          () => count() === before.transport.frameErrors[bad.reason] + 1,
          `${bad.name} counted`,
          AbortSignal.timeout(5000),
        )
        const after = svc.stats()
        const drops = (s: typeof after) => s.drops.malformed + s.drops['too-large']
        assert.equal(drops(after), drops(before) + 1, `${bad.name}: one drop in stats().drops`)
      }
      // still working: a newcomer joins through it, and everyone converges
      const c = await net.murmur({ join: addrsOf(a) })
      await until(() => converged([a, b, c]), 'convergence after the abuse', AbortSignal.timeout(10_000))
      assert.equal(svc.member(raw.peerId.toString()), undefined)
    })
  }
})
