import type { Peer, Transport, TransportHandlers } from '../transport.ts'

/** One pair of connected endpoints, made fresh for each compliance test. */
export interface TransportPair {
  a: { id: string; transport: Transport }
  b: { id: string; transport: Transport; peer: Peer }
  /** Lets time pass until pending deliveries have happened (real or virtual). */
  settle(): Promise<void>
  teardown(): Promise<void>
}

export interface TransportTestSetup {
  create(): Promise<TransportPair>
}

declare function describe(name: string, fn: () => void): void
declare function it(name: string, fn: () => Promise<void>): void

function check(cond: boolean, message: string): void {
  if (!cond) throw new Error(`transport compliance: ${message}`)
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

function recorder(): {
  packets: Array<[string, Uint8Array]>
  handlers: TransportHandlers
  reply?: (b: Uint8Array) => Promise<Uint8Array>
} {
  const r: ReturnType<typeof recorder> = {
    packets: [],
    handlers: {
      onPacket: (from, bytes) => {
        r.packets.push([from, bytes])
        return true
      },
      onRequest: (_from, bytes) => (r.reply ?? (async (b: Uint8Array) => b))(bytes),
    },
  }
  return r
}

/**
 * The contract every Transport must keep, as a mocha suite. SimNetwork and the libp2p stream
 * transport both run it, which keeps the simulator honest.
 */
export function transportCompliance(name: string, setup: TransportTestSetup): void {
  describe(`${name}: transport compliance`, () => {
    it('delivers a packet with the sender id and the exact bytes', async () => {
      const pair = await setup.create()
      try {
        const rb = recorder()
        pair.a.transport.listen(recorder().handlers)
        pair.b.transport.listen(rb.handlers)
        const bytes = Uint8Array.from([1, 2, 3, 250])
        await pair.a.transport.send(pair.b.peer, bytes)
        await pair.settle()
        check(rb.packets.length === 1, `expected 1 packet, got ${rb.packets.length}`)
        check(rb.packets[0][0] === pair.a.id, `sender should be ${pair.a.id}, got ${rb.packets[0][0]}`)
        check(equalBytes(rb.packets[0][1], bytes), 'bytes changed in transit')
      } finally {
        await pair.teardown()
      }
    })

    it('answers a request with the handler response, naming the requester', async () => {
      const pair = await setup.create()
      try {
        let seenFrom = ''
        const rb = recorder()
        rb.handlers.onRequest = async (from, b) => {
          seenFrom = from
          return Uint8Array.from([...b].reverse())
        }
        pair.a.transport.listen(recorder().handlers)
        pair.b.transport.listen(rb.handlers)
        const big = new Uint8Array(256 * 1024).map((_, i) => i % 251)
        const p = pair.a.transport.request(pair.b.peer, big, { signal: new AbortController().signal })
        const settled = pair.settle()
        const response = await p
        await settled
        check(seenFrom === pair.a.id, `requester should be ${pair.a.id}, got ${seenFrom}`)
        check(equalBytes(response, Uint8Array.from([...big].reverse())), 'response bytes differ')
      } finally {
        await pair.teardown()
      }
    })

    it('rejects a request whose handler refuses it', async () => {
      const pair = await setup.create()
      try {
        const rb = recorder()
        rb.handlers.onRequest = async () => {
          throw new Error('refused on purpose')
        }
        pair.a.transport.listen(recorder().handlers)
        pair.b.transport.listen(rb.handlers)
        const p = pair.a.transport.request(pair.b.peer, Uint8Array.from([1]), { signal: new AbortController().signal })
        const outcome = p.then(
          () => 'resolved',
          () => 'rejected',
        )
        await pair.settle()
        check((await outcome) === 'rejected', 'a refused request must reject')
      } finally {
        await pair.teardown()
      }
    })

    it('rejects a request when its signal aborts', async () => {
      const pair = await setup.create()
      try {
        const rb = recorder()
        rb.handlers.onRequest = () => new Promise(() => {}) // never answers
        pair.a.transport.listen(recorder().handlers)
        pair.b.transport.listen(rb.handlers)
        const controller = new AbortController()
        const p = pair.a.transport.request(pair.b.peer, Uint8Array.from([1]), { signal: controller.signal })
        const outcome = p.then(
          () => 'resolved',
          () => 'rejected',
        )
        await pair.settle()
        controller.abort(new Error('caller gave up'))
        await pair.settle()
        check((await outcome) === 'rejected', 'an aborted request must reject')
      } finally {
        await pair.teardown()
      }
    })
  })
}
