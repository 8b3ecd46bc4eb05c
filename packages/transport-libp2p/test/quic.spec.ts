import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'
import type { Member } from '@murmur/core'
import { createMurmurNode, isQuicAddr, QuicUnavailableError } from '../src/index.ts'
import { planQuic, QUIC_OPTIONS, type QuicLoad } from '../src/quic.ts'
import { muxerPing } from '../src/stream-utils.ts'
import { addrsOf, converged, FAST, type MurmurNode, Nodes, nextEvent, until } from './helpers.ts'

const QUIC = '/ip4/127.0.0.1/udp/0/quic-v1'
const TCP = '/ip4/127.0.0.1/tcp/0'
const idOf = (n: MurmurNode): string => n.peerId.toString()

describe('QUIC', function () {
  this.timeout(30_000)
  const net = new Nodes()
  afterEach(() => net.stopAll())

  it('three nodes over QUIC alone join with a push-pull, converge and declare a stopped one dead', async () => {
    const nodes = await net.cluster(3, { listen: [QUIC] })
    for (const n of nodes) {
      const addrs = addrsOf(n)
      assert.ok(addrs.length > 0 && addrs.every(isQuicAddr), `listens on QUIC only: ${addrs.join(' ')}`)
    }
    await until(() => converged(nodes), 'every node to see every other alive', AbortSignal.timeout(10_000))

    // the join was a push-pull over QUIC: each joiner asked the seed, the seed served both
    const [seed, ...joiners] = nodes
    for (const j of joiners) {
      assert.ok(j.services.membership.stats().transport.requestsSent >= 1, 'the joiner sent a push-pull')
      assert.equal(j.services.membership.stats().transport.requestsFailed, 0)
    }
    assert.ok(seed.services.membership.stats().transport.requestsServed >= 2, 'the seed served both joins')

    // every connection is QUIC, without Noise or Yamux, and has no muxer ping: the stall check
    // answers true (QUIC's own keep-alive and idle timeout close a dead connection)
    for (const n of nodes) {
      const conns = n.getConnections()
      assert.ok(conns.length > 0)
      for (const c of conns) {
        assert.ok(isQuicAddr(c.remoteAddr.toString()), `${c.remoteAddr} is QUIC`)
        assert.equal(c.encryption, 'native') // libp2p's name for a transport's own encryption (TLS)
        assert.equal(c.multiplexer, 'quic')
        assert.equal(muxerPing(c), undefined)
      }
    }

    const victim = nodes[2]
    const id = idOf(victim)
    const survivors = nodes.slice(0, 2)
    const signal = AbortSignal.timeout(15_000)
    const deaths = survivors.map((s) =>
      nextEvent<Member>(s.services.membership, 'member:dead', signal, (m) => m.id === id),
    )
    await victim.stop() // no leave: a crash as far as the others can tell
    for (const m of await Promise.all(deaths)) assert.equal(m.state, 'dead')
    for (const s of survivors) assert.equal(s.services.membership.stats().transport.stalledConnections, 0)
  })

  // A reaped QUIC connection is closed at once (quinn's close: what is in flight either way is
  // dropped), where TCP's graceful close lets it arrive: a probe or an ack caught in a reap is lost,
  // and with a budget some members are suspected and refute (README: QUIC). Deaths must not follow.
  it('keeps a connection budget over QUIC: closes connections past it and dials again, without deaths', async () => {
    // the lan profile's probe timing: under FAST's (a 0.9 s suspicion) one lost ack in a reap
    // could outrun the refutation, which no real profile allows
    // probeRings 0: every member in turn, so that the budget keeps closing connections
    const lan = { probeIntervalMs: 1000, probeTimeoutMs: 500, suspicionMult: 4, gossipIntervalMs: 200, probeRings: 0 }
    const nodes = await net.cluster(6, { listen: [QUIC], membership: { maxConnections: 2, config: lan } })
    await until(() => converged(nodes), 'convergence', AbortSignal.timeout(15_000))
    const verdicts = { suspect: 0, dead: 0 }
    for (const n of nodes) {
      n.services.membership.addEventListener('member:suspect', () => verdicts.suspect++)
      n.services.membership.addEventListener('member:dead', () => verdicts.dead++)
    }
    const before = nodes.map((n) => n.services.membership.stats().transport)
    await until(
      () =>
        nodes.every((n, i) => {
          const t = n.services.membership.stats().transport
          return (
            t.connectionsReaped > before[i].connectionsReaped && t.handshakes.outbound > before[i].handshakes.outbound
          )
        }),
      'every node to reap a connection and dial again',
      AbortSignal.timeout(15_000),
    )
    await delay(6000) // past the shortest suspicion (lan timing, 6 nodes: 4 s) for a false one to become a death
    await until(() => converged(nodes), 'one view again', AbortSignal.timeout(10_000))
    console.log(`      budget over QUIC: ${verdicts.suspect} suspicions, ${verdicts.dead} deaths`)
    assert.equal(verdicts.dead, 0)
  })

  it('mixes with TCP: a node on both is reached over TCP from a TCP-only node, over QUIC from a QUIC-only one', async () => {
    const both = await net.murmur({ listen: [TCP, QUIC] })
    const seed = addrsOf(both)
    assert.ok(seed.some(isQuicAddr) && seed.some((a) => !isQuicAddr(a)), `listens on both: ${seed.join(' ')}`)
    const tcpOnly = await net.murmur({ listen: [TCP], join: seed.filter((a) => !isQuicAddr(a)) })
    const quicOnly = await net.murmur({ listen: [QUIC], join: seed.filter(isQuicAddr) })
    // libp2p dials a member's TCP address first; a node without QUIC skips QUIC addresses
    await until(
      () => [tcpOnly, quicOnly].every((n) => both.services.membership.member(idOf(n))?.state === 'alive'),
      'the dual node to see both alive',
      AbortSignal.timeout(10_000),
    )
    const remote = (from: MurmurNode, to: MurmurNode) =>
      from.getConnections(to.peerId).map((c) => c.remoteAddr.toString())
    assert.ok(remote(tcpOnly, both).every((a) => !isQuicAddr(a)))
    assert.ok(remote(quicOnly, both).length > 0 && remote(quicOnly, both).every(isQuicAddr))
  })

  it('loads QUIC in a worker-mode node that joins through a QUIC seed', async () => {
    const seed = await net.murmur({ listen: [QUIC] })
    // the worker listens on TCP: only the join address tells it to load QUIC (the join runs after its start)
    const worker = net.track(
      await createMurmurNode({
        worker: true,
        listen: [TCP],
        join: addrsOf(seed),
        membership: { profile: 'local', config: FAST },
      }),
    )
    await until(
      () => seed.services.membership.member(worker.peerId.toString())?.state === 'alive',
      'the seed to see the worker alive',
      AbortSignal.timeout(10_000),
    )
    assert.ok(seed.getConnections(worker.peerId).every((c) => isQuicAddr(c.remoteAddr.toString())))
  })

  describe('the browser entry', () => {
    const SRC = new URL('../../src/', import.meta.url)
    /** Every source file `entry` loads through relative imports (static and dynamic), itself included. */
    const reach = (entry: string): Map<string, string> => {
      const seen = new Map<string, string>()
      const visit = (file: string) => {
        if (seen.has(file)) return
        const text = readFileSync(new URL(file, SRC), 'utf8')
        seen.set(file, text)
        // `import type` / `export type` are erased at compile time: they load nothing
        for (const m of text.matchAll(/\b(?:import|export)(\s+type)?\s[^']*?from\s*'\.\/([\w-]+\.ts)'/g)) {
          if (m[1] === undefined) visit(m[2])
        }
        for (const m of text.matchAll(/\bimport\(\s*'\.\/([\w-]+\.ts)'/g)) visit(m[1])
      }
      visit(entry)
      return seen
    }

    it('never reaches QUIC (the native module is for Node only)', () => {
      const files = reach('browser.ts')
      assert.ok(files.has('membership-service.ts'), 'the walk follows imports')
      for (const [file, text] of files) {
        assert.notEqual(file, 'quic.ts')
        assert.ok(!text.includes("'@chainsafe/libp2p-quic'"), `${file} imports @chainsafe/libp2p-quic`)
      }
      // the same walk from the Node entry finds it, so the check above can fail
      assert.ok(reach('create-node.ts').has('quic.ts'))
    })
  })

  describe('planQuic', () => {
    const failing = async (): Promise<QuicLoad> => ({ error: new Error('Cannot find native binding') })
    const given: unknown[] = []
    const working = async (): Promise<QuicLoad> => ({
      quic: (options) => {
        given.push(options)
        return () => ({}) as never
      },
    })

    it('loads nothing for a node without QUIC addresses', async () => {
      let loads = 0
      const count = async (): Promise<QuicLoad> => {
        loads++
        return working()
      }
      const plan = await planQuic(
        { listen: [TCP], join: ['/ip4/10.0.0.1/tcp/1'], want: undefined, psk: false, handshakeTimeoutMs: 2000 },
        count,
      )
      assert.deepEqual(plan, { listen: [TCP] })
      assert.equal(loads, 0)
    })

    it('adds QUIC for a QUIC listen or join address, or when asked', async () => {
      for (const w of [
        { listen: [QUIC], join: [], want: undefined },
        { listen: [TCP], join: ['/ip4/10.0.0.1/udp/1/quic-v1'], want: undefined },
        { listen: [TCP], join: [], want: true },
      ]) {
        const plan = await planQuic({ ...w, psk: false, handshakeTimeoutMs: 2000 }, working)
        assert.equal(typeof plan.transport, 'function', JSON.stringify(w))
        assert.deepEqual(plan.listen, w.listen)
        assert.equal(plan.warning, undefined)
        // a dial attempt is bounded by the stall timeout over QUIC too (its dial ignores the signal)
        assert.deepEqual(given.at(-1), { ...QUIC_OPTIONS, handshakeTimeout: 2000 })
      }
    })

    it('starts without QUIC, with a warning, when the native module does not load', async () => {
      const plan = await planQuic(
        { listen: [TCP, QUIC], join: [], want: undefined, psk: false, handshakeTimeoutMs: 2000 },
        failing,
      )
      assert.equal(plan.transport, undefined)
      assert.deepEqual(plan.listen, [TCP])
      assert.match(
        plan.warning ?? '',
        /Cannot find native binding.*not listening on \/ip4\/127\.0\.0\.1\/udp\/0\/quic-v1/,
      )
    })

    it('throws QuicUnavailableError when nothing is left to listen on', async () => {
      await assert.rejects(
        planQuic({ listen: [QUIC], join: [], want: undefined, psk: false, handshakeTimeoutMs: 2000 }, failing),
        (err: Error) => err.name === 'QuicUnavailableError' && err instanceof QuicUnavailableError,
      )
      await assert.rejects(
        planQuic({ listen: [QUIC], join: [], want: false, psk: false, handshakeTimeoutMs: 2000 }, working),
        {
          name: 'QuicUnavailableError',
        },
      )
    })

    it('refuses QUIC in a private network (libp2p skips pnet on QUIC) and loads nothing for a QUIC seed', async () => {
      await assert.rejects(
        planQuic({ listen: [QUIC], join: [], want: undefined, psk: true, handshakeTimeoutMs: 2000 }, working),
        {
          name: 'InvalidArgumentError',
        },
      )
      await assert.rejects(
        planQuic({ listen: [TCP], join: [], want: true, psk: true, handshakeTimeoutMs: 2000 }, working),
        {
          name: 'InvalidArgumentError',
        },
      )
      const plan = await planQuic(
        { listen: [TCP], join: ['/ip4/10.0.0.1/udp/1/quic-v1'], want: undefined, psk: true, handshakeTimeoutMs: 2000 },
        failing,
      )
      assert.deepEqual(plan, { listen: [TCP] })
    })
  })
})
