import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import type { Update } from '@murmur/core'
import { decodePushPull, encodePacket, encodePushPull, Kind } from '@murmur/core/wire'
import { PACKET_PROTOCOL, SYNC_PROTOCOL } from '@murmur/libp2p'
import { encode } from 'it-length-prefixed'
import { TestCluster } from './fixtures/cluster.ts'
import { rawPeer, readFrame, signClaim } from './fixtures/raw-peer.ts'

interface Info {
  members: Record<string, number>
  stats: {
    drops: Record<string, number>
    updatesStale: number
    relaysServed: number
    transport: { frameErrors: Record<string, number> }
  }
}

const EMPTY = new Uint8Array(0)

describe('integration: hostile input against a running agent', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  let raw: Libp2p | undefined
  afterEach(async () => {
    await raw?.stop()
    raw = undefined
    await cluster?.teardown()
    cluster = undefined
  })

  it('survives garbage on TCP, bad frames, forged and replayed claims, a ping-req flood; counts every drop; table unchanged', async () => {
    cluster = await TestCluster.start(3)
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const target = c.agents[0]
    const victim = c.agents[1]
    const info = () => c.api(target).get<Info>('/v1/info')
    const before = await info()
    const victimBefore = c.seen(target, victim)!

    // 1. raw garbage on the libp2p TCP port (no Noise handshake)
    const port = Number(target.addrs[0].split('/')[4])
    await new Promise<void>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => sock.end(Buffer.from('\x00\xffGET / HTTP/1.1\r\n\r\n'.repeat(50))))
      sock.on('error', () => resolve())
      sock.on('close', () => resolve())
    })

    // 2. a real libp2p peer that speaks the protocols badly
    const key = await generateKeyPair('Ed25519')
    raw = await rawPeer(key)
    const addr = multiaddr(target.addrs[0])
    const frames: Array<[string, Uint8Array]> = [
      [PACKET_PROTOCOL, new Uint8Array(12).fill(0xff)], // not a varint
      [PACKET_PROTOCOL, Uint8Array.from([0x80, 0x80, 0x80, 0x40])], // 128 MiB announced
      [PACKET_PROTOCOL, encode.single(Uint8Array.from([0x0a, 0xff, 0xff])).subarray()], // not protobuf
      [SYNC_PROTOCOL, encode.single(new TextEncoder().encode('{"hello":"json"}')).subarray()],
    ]
    for (const [protocol, bytes] of frames) {
      const s = await raw.dialProtocol(addr, protocol)
      s.send(bytes)
      await s.close({ signal: AbortSignal.timeout(2000) }).catch(() => {})
    }
    // truncated: announce 100 bytes, send 10, close
    const t = await raw.dialProtocol(addr, PACKET_PROTOCOL)
    t.send(Uint8Array.from([100, ...new Uint8Array(10)]))
    await t.close({ signal: AbortSignal.timeout(2000) }).catch(() => {})

    // 3. forged claims about the victim: signed by our key, not the victim's
    const packets = await raw.dialProtocol(addr, PACKET_PROTOCOL)
    const forged: Update = {
      kind: Kind.ALIVE,
      id: victim.id,
      incarnation: victimBefore.incarnation + 10,
      from: victim.id,
      addrs: ['/ip4/127.0.0.1/tcp/1'],
      metadata: new TextEncoder().encode('{"n":"evil"}'),
      signature: EMPTY,
    }
    packets.send(encode.single(encodePacket({ updates: [await signClaim(forged, key)] })))
    // a leave in the victim's name, and a claim that an alive member is "from" someone else
    packets.send(encode.single(encodePacket({ updates: [await signClaim({ ...forged, kind: Kind.LEFT }, key)] })))

    // 4. replay: fetch the genuine signed state with a push-pull, then replay its claims twice
    const sync = await raw.dialProtocol(addr, SYNC_PROTOCOL)
    sync.send(encode.single(encodePushPull({ join: false, updates: [], events: [], eventLtime: 0 })))
    await sync.close({ signal: AbortSignal.timeout(2000) })
    const state = decodePushPull(await readFrame(sync, AbortSignal.timeout(5000)), {
      maxPacketBytes: 65_536,
      maxSyncBytes: 8 * 1024 * 1024,
      maxAddrsPerMember: 16,
    })
    assert.ok(state.updates.length >= 3, 'the genuine state has every member')
    for (let i = 0; i < 2; i++) packets.send(encode.single(encodePacket({ updates: state.updates })))

    // 5. ping-req flood for the victim from a stranger: refused (relays are only between members)
    for (let i = 0; i < 500; i++) {
      packets.send(encode.single(encodePacket({ pingReq: { seq: i + 1, target: victim.id, targetAddrs: [] } })))
    }
    await packets.close({ signal: AbortSignal.timeout(5000) }).catch(() => {})

    // counted, not crashed
    const counted = async () => {
      const after = (await info()).stats
      return (
        after.drops['bad-signature'] >= before.stats.drops['bad-signature'] + 2 &&
        after.drops['relay-refused'] >= before.stats.drops['relay-refused'] + 500 &&
        after.updatesStale > before.stats.updatesStale + state.updates.length
      )
    }
    const deadline = Date.now() + 10_000
    while (!(await counted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    const after = await info()
    assert.ok(await counted(), `drops not all counted: ${JSON.stringify(after.stats.drops)}`)
    const fe = after.stats.transport.frameErrors
    const feBefore = before.stats.transport.frameErrors
    assert.ok(fe['too-large'] > feBefore['too-large'], 'oversized frame counted')
    assert.ok(fe.truncated > feBefore.truncated, 'truncated frame counted')
    assert.ok(fe.malformed + fe.rejected > feBefore.malformed + feBefore.rejected, 'garbage frames counted')
    assert.equal(after.stats.relaysServed, before.stats.relaysServed, 'no ping for a stranger')

    // the table is unchanged: the victim keeps its real incarnation and metadata, the attacker is not a member
    const { members } = await c
      .api(target)
      .get<{ members: Array<{ id: string; incarnation: number; name: string; state: string }> }>('/v1/members')
    assert.equal(members.length, 3)
    const v = members.find((m) => m.id === victim.id)!
    assert.equal(v.state, 'alive')
    assert.equal(v.name, victim.name)
    assert.ok(v.incarnation < victimBefore.incarnation + 10)
    assert.equal(
      members.find((m) => m.id === raw!.peerId.toString()),
      undefined,
    )

    // the metrics endpoint shows the drops
    const metrics = await (await fetch(`http://${target.api}/metrics`)).text()
    assert.match(metrics, /murmur_dropped_total\{reason="bad-signature"\} [1-9]/)

    // and the cluster still works: a newcomer joins through the abused agent
    await c.spawn(3)
    await c.waitFor(() => c.converged(), 30_000, 'convergence after the abuse')
  })

  it('the control API answers malformed JSON with 400 and huge bodies with 413, and keeps serving', async () => {
    cluster = await TestCluster.start(1)
    const c = cluster
    const base = `http://${c.agents[0].api}`
    for (const body of ['{', '[]', 'null', '{"addrs": 5}']) {
      const r = await fetch(`${base}/v1/join`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      })
      assert.equal(r.status, 400, body)
      const e = (await r.json()) as { error: { code: string; message: string } }
      assert.ok(e.error.code.startsWith('ERR_BAD'), e.error.code)
    }
    const huge = await fetch(`${base}/v1/event`, { method: 'POST', body: 'x'.repeat(10 * 1024 * 1024) }).catch(
      (err: Error) => err,
    )
    if (!(huge instanceof Error)) assert.equal(huge.status, 413)
    const r = await fetch(`${base}/v1/self`)
    assert.equal(r.status, 200)
    assert.equal(((await r.json()) as { id: string }).id, c.agents[0].id)
  })
})
