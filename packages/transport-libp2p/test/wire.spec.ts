import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server, Socket } from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import type { Libp2p, MultiaddrConnection } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { coalescingTcp, corkWrites } from '../src/coalesce.ts'
import { frugalYamux, lazyWindowUpdates } from '../src/yamux.ts'

/** A connected pair of loopback sockets; `received` collects what the server side reads. */
async function socketPair(): Promise<{ client: Socket; received: Buffer[]; close(): void; server: Server }> {
  const received: Buffer[] = []
  const server = createServer((s) => s.on('data', (d: Buffer) => received.push(d)))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const client = new Socket()
  client.setNoDelay(true)
  client.connect(port, '127.0.0.1')
  await once(client, 'connect')
  return {
    client,
    received,
    server,
    close: () => {
      client.destroy()
      server.close()
    },
  }
}

/** What @libp2p/tcp's connection looks like to corkWrites: a socket, and sendData writing each chunk. */
function fakeConnection(socket: Socket): MultiaddrConnection {
  return {
    socket,
    sendData(data: Uint8Array[]) {
      for (const buf of data) socket.write(buf)
      return { sentBytes: 0, canSendMore: true }
    },
  } as unknown as MultiaddrConnection
}

/** Counts the socket's calls into its stream implementation: one _writev is one writev syscall. */
function countWrites(socket: Socket): { write: number; writev: number; chunks: number } {
  const counts = { write: 0, writev: 0, chunks: 0 }
  const s = socket as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>
  const write = s._write
  const writev = s._writev
  s._write = function (...a: unknown[]) {
    counts.write++
    return write.apply(this, a)
  }
  s._writev = function (...a: unknown[]) {
    counts.writev++
    counts.chunks += (a[0] as unknown[]).length
    return writev.apply(this, a)
  }
  return counts
}

describe('wire framing', () => {
  describe('coalesced TCP writes', () => {
    it('writes everything sent in one event-loop turn with one writev', async () => {
      const pair = await socketPair()
      try {
        const counts = countWrites(pair.client)
        const conn = corkWrites(fakeConnection(pair.client)) as unknown as { sendData(d: Uint8Array[]): unknown }
        conn.sendData([Buffer.from('ab'), Buffer.from('cd')])
        await Promise.resolve() // a later microtask of the same turn, as Noise and Yamux write
        conn.sendData([Buffer.from('ef')])
        process.nextTick(() => conn.sendData([Buffer.from('gh')]))
        await nextTurn()
        assert.deepEqual(counts, { write: 0, writev: 1, chunks: 4 })
        conn.sendData([Buffer.from('ij')]) // the next turn corks again
        await nextTurn()
        assert.equal(counts.writev + counts.write, 2)
        const deadline = Date.now() + 5000
        while (Buffer.concat(pair.received).length < 10 && Date.now() < deadline) await nextTurn()
        assert.equal(Buffer.concat(pair.received).toString(), 'abcdefghij')
      } finally {
        pair.close()
      }
    })

    it('without it, each chunk is a write of its own (the behaviour it replaces)', async () => {
      const pair = await socketPair()
      try {
        const counts = countWrites(pair.client)
        const conn = fakeConnection(pair.client) as unknown as { sendData(d: Uint8Array[]): unknown }
        conn.sendData([Buffer.from('ab'), Buffer.from('cd')])
        conn.sendData([Buffer.from('ef')])
        await nextTurn()
        assert.equal(counts.write + counts.writev, 3)
      } finally {
        pair.close()
      }
    })

    it('leaves a connection without a Node socket as it is', () => {
      const conn = { sendData: () => ({}) } as unknown as MultiaddrConnection
      const before = (conn as unknown as { sendData: unknown }).sendData
      assert.equal((corkWrites(conn) as unknown as { sendData: unknown }).sendData, before)
    })
  })

  describe('yamux window updates', () => {
    const WINDOW = 256 * 1024
    function fakeStream(state: StreamState, capacity: number) {
      const stream = {
        state,
        recvWindow: WINDOW,
        recvWindowCapacity: capacity,
        updates: 0,
        sendWindowUpdate() {
          this.updates++
        },
      }
      return lazyWindowUpdates(stream)
    }

    it('skips an update that gives back less than half the window on an established stream', () => {
      const s = fakeStream(StreamState.Established, WINDOW - 100)
      s.sendWindowUpdate()
      assert.equal(s.updates, 0)
    })

    it('sends one at half the window or more', () => {
      const s = fakeStream(StreamState.Established, WINDOW / 2)
      s.sendWindowUpdate()
      assert.equal(s.updates, 1)
    })

    it('always sends one that carries a flag (SYN, ACK) or resumes a paused stream', () => {
      for (const state of [StreamState.Init, StreamState.SYNReceived, StreamState.Paused]) {
        const s = fakeStream(state, WINDOW - 100)
        s.sendWindowUpdate()
        assert.equal(s.updates, 1, `state ${StreamState[state]}`)
      }
    })
  })

  describe('between two libp2p nodes', () => {
    const nodes: Libp2p[] = []
    afterEach(async () => {
      await Promise.allSettled(nodes.splice(0).map((n) => n.stop()))
    })

    async function node(): Promise<Libp2p> {
      const n = await createLibp2p({
        addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
        transports: [coalescingTcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [frugalYamux()],
      })
      nodes.push(n)
      return n
    }

    it('carries a bulk transfer (windows are still given back) and many small messages, in order', async function () {
      this.timeout(20_000)
      const [a, b] = [await node(), await node()]
      const protocol = '/murmur-test/echo/1.0.0'
      let got = 0
      const done = Promise.withResolvers<void>()
      const TOTAL = 4 * 1024 * 1024 // 16 windows' worth
      await b.handle(protocol, (stream) => {
        stream.addEventListener('message', (e) => {
          got += e.data.byteLength
          if (got >= TOTAL) done.resolve()
        })
      })
      const stream = await a.dialProtocol(b.getMultiaddrs(), protocol)
      const chunk = new Uint8Array(64 * 1024).fill(7)
      for (let sent = 0; sent < TOTAL; sent += chunk.byteLength) {
        if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      }
      await Promise.race([
        done.promise,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`only ${got} of ${TOTAL} bytes arrived`)), 15_000),
        ),
      ])
      assert.equal(got, TOTAL)

      // small messages both ways, each answered: what membership traffic looks like
      const echo = '/murmur-test/small/1.0.0'
      await b.handle(echo, (s) => {
        s.addEventListener('message', (e) => s.send(e.data.subarray()))
      })
      const small = await a.dialProtocol(b.getMultiaddrs(), echo)
      let answered = 0
      const all = Promise.withResolvers<void>()
      small.addEventListener('message', (e) => {
        answered += e.data.byteLength
        if (answered >= 500 * 40) all.resolve()
      })
      for (let i = 0; i < 500; i++) {
        small.send(new Uint8Array(40).fill(i & 0xff))
        if (i % 50 === 0) await nextTurn()
      }
      await Promise.race([
        all.promise,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${answered} bytes answered`)), 10_000)),
      ])
      assert.equal(answered, 500 * 40)
    })
  })
})
