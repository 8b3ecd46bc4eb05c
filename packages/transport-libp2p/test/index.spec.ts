import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import {
  type CalculatedMetricOptions,
  type Metrics,
  peerDiscoverySymbol,
  type Startable,
  serviceCapabilities,
  TypedEventEmitter,
} from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { stubInterface } from 'sinon-ts'
import {
  createMurmurNode,
  type MembershipComponents,
  type MembershipService,
  membership,
  PACKET_PROTOCOL,
  SYNC_PROTOCOL,
} from '../src/index.ts'
import { PeerIdVerifier } from '../src/signing.ts'
import { addrsOf, converged, Nodes, until } from './helpers.ts'

type Calculated = CalculatedMetricOptions<number | Record<string, number>>

/** Records calculated metrics, the only kind the service registers. */
function fakeMetrics(): { metrics: Metrics; read(name: string): number | Record<string, number> } {
  const registered = new Map<string, Calculated>()
  const register = (name: string, options?: Calculated) => {
    if (options?.calculate === undefined) throw new Error(`${name} is not a calculated metric`)
    registered.set(name, options)
  }
  const metrics = {
    registerMetric: register,
    registerMetricGroup: register,
    registerCounter: register,
    registerCounterGroup: register,
  } as unknown as Metrics
  return {
    metrics,
    read: (name) => {
      const m = registered.get(name)
      if (m === undefined) throw new Error(`no metric ${name}`)
      return m.calculate() as number | Record<string, number>
    },
  }
}

async function stubComponents(metrics?: Metrics, keyType: 'Ed25519' | 'secp256k1' = 'Ed25519') {
  const privateKey = await generateKeyPair(keyType)
  const peerId = peerIdFromPrivateKey(privateKey)
  const components = {
    peerId,
    privateKey,
    logger: defaultLogger(),
    metrics,
    events: new TypedEventEmitter(),
    registrar: stubInterface<MembershipComponents['registrar']>(),
    connectionManager: stubInterface<MembershipComponents['connectionManager']>({ getConnections: () => [] }),
    addressManager: { getAddresses: () => [multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)] },
  }
  return components
}

const startable = (s: MembershipService): Startable => s as unknown as Startable

describe('membership() service', () => {
  it('looks like a libp2p service and a peer-discovery source', async () => {
    const service = membership()(await stubComponents()) as unknown as Record<symbol, unknown>
    assert.equal(service[Symbol.toStringTag], '@murmur/libp2p')
    assert.deepEqual(service[serviceCapabilities], ['@murmur/membership', '@libp2p/peer-discovery'])
    assert.equal(typeof (service[peerDiscoverySymbol] as EventTarget).addEventListener, 'function')
  })

  it('start and stop are idempotent: protocols registered and removed once', async () => {
    const components = await stubComponents()
    const service = membership({ profile: 'local' })(components)
    await startable(service).start()
    await startable(service).start()
    assert.equal(components.registrar.handle.callCount, 3)
    assert.deepEqual(
      components.registrar.handle.getCalls().map((c: { args: unknown[] }) => c.args[0]),
      [PACKET_PROTOCOL, SYNC_PROTOCOL, '/murmur/report/1.0.0'],
    )
    const options = components.registrar.handle.getCall(0).args[2]
    assert.ok(options?.maxInboundStreams !== undefined && options.maxInboundStreams <= 8)
    assert.deepEqual(service.self().addrs, [`/ip4/127.0.0.1/tcp/4001/p2p/${components.peerId}`])
    await startable(service).stop()
    await startable(service).stop()
    assert.equal(components.registrar.unhandle.callCount, 3)
    await assert.rejects(service.join(['/ip4/127.0.0.1/tcp/1']), { name: 'NotStartedError' })
    // and it starts again
    await startable(service).start()
    assert.equal(components.registrar.handle.callCount, 6)
    await startable(service).stop()
  })

  it('uses the protocol prefix', async () => {
    const components = await stubComponents()
    const service = startable(membership({ protocolPrefix: '/acme' })(components))
    await service.start()
    try {
      assert.deepEqual(
        components.registrar.handle.getCalls().map((c: { args: unknown[] }) => c.args[0]),
        ['/acme/packet/1.0.0', '/acme/sync/1.0.0', '/acme/report/1.0.0'],
      )
    } finally {
      await service.stop()
    }
  })

  it('rejects a bad config with InvalidConfigError listing every problem', async () => {
    const components = await stubComponents()
    assert.throws(
      () => membership({ config: { retransmitMult: 0, gossipNodes: -1 } })(components),
      (err: Error) => {
        assert.equal(err.name, 'InvalidConfigError')
        const problems = (err as Error & { problems: string[] }).problems
        assert.equal(problems.length, 2)
        assert.ok(problems.some((p) => p.startsWith('retransmitMult')))
        assert.ok(problems.some((p) => p.startsWith('gossipNodes')))
        return true
      },
    )
    await assert.rejects(createMurmurNode({ membership: { config: { probeTimeoutMs: 5000 } } }), {
      name: 'InvalidConfigError',
    })
  })

  it('refuses a non-Ed25519 identity with an error that says why and what to do', async () => {
    const components = await stubComponents(undefined, 'secp256k1')
    assert.throws(() => membership()(components), {
      name: 'InvalidArgumentError',
      message: /needs an Ed25519 libp2p identity \(this node's key is secp256k1\).*generateKeyPair\('Ed25519'\)/,
    })
  })

  it('setFaults rejects a drop rate outside [0, 1]', async () => {
    const service = membership()(await stubComponents())
    assert.throws(() => service.setFaults({ dropRate: 1.5 }), { name: 'InvalidArgumentError' })
    service.setFaults({ dropRate: 0.5, blocked: ['x'] })
  })

  it('exposes metrics through calculated metric groups over stats()', async () => {
    const { metrics, read } = fakeMetrics()
    const service = membership({ profile: 'local' })(await stubComponents(metrics))
    await startable(service).start()
    try {
      assert.deepEqual(read('murmur_members'), { alive: 1, suspect: 0, dead: 0, left: 0 })
      assert.equal(read('murmur_health_score'), 0)
      const events = read('murmur_protocol_events_total') as Record<string, number>
      for (const k of ['probes', 'acks', 'nacks', 'suspicions', 'refutes', 'deaths']) assert.equal(events[k], 0, k)
      const drops = read('murmur_drops_total') as Record<string, number>
      assert.equal(drops['bad-signature'], 0)
      assert.deepEqual(Object.keys(read('murmur_bytes_total')), ['in', 'out'])
      assert.deepEqual(Object.keys(read('murmur_queue_depth')), ['updates', 'events', 'send_buffer'])
      const transport = read('murmur_transport_errors_total') as Record<string, number>
      assert.equal(transport['frame_too-large'], 0)
      assert.equal(transport.refused_streams, 0)
    } finally {
      await startable(service).stop()
    }
  })
})

describe('PeerIdVerifier', () => {
  const data = Uint8Array.from([1, 2, 3])

  it('accepts a signature by the key in the peer id, and nothing else', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    const v = new PeerIdVerifier()
    const table: Array<[string, string, Uint8Array, boolean]> = [
      ['its own signature', id, await key.sign(data), true],
      ['again, from the key cache', id, await key.sign(data), true],
      ['another key', id, await other.sign(data), false],
      ['a 3-byte signature (verify would throw)', id, new Uint8Array(3), false],
      ['an empty signature', id, new Uint8Array(0), false],
      ['a signer that is not a peer id', 'not-a-peer-id', await key.sign(data), false],
    ]
    for (const [what, signer, sig, expected] of table) assert.equal(await v.verify(signer, data, sig), expected, what)
  })

  it('refuses non-Ed25519 peer ids even with a valid signature', async () => {
    const key = await generateKeyPair('secp256k1')
    const id = peerIdFromPrivateKey(key).toString()
    assert.equal(await new PeerIdVerifier().verify(id, data, await key.sign(data)), false)
  })
})

describe('the service on a real node', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('start and stop are idempotent, and a restarted libp2p node rejoins', async () => {
    const [seed, node] = await net.cluster(2)
    await until(() => converged([seed, node]), 'convergence', AbortSignal.timeout(10_000))
    const service = startable(node.services.membership)
    await service.start() // already started by libp2p: no DuplicateProtocolHandlerError
    await service.stop()
    await service.stop()
    await service.start()
    await service.start()
    await until(() => converged([seed, node]), 'convergence after the service restart', AbortSignal.timeout(10_000))

    await node.stop()
    await node.stop()
    await node.start()
    await node.start()
    await node.services.membership.join(addrsOf(seed), { signal: AbortSignal.timeout(5000) })
    await until(() => converged([seed, node]), 'convergence after the node restart', AbortSignal.timeout(10_000))
    assert.equal(node.services.membership.self().addrs[0], addrsOf(node)[0])
  })
})
