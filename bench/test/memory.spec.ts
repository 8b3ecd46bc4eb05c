import { strict as assert } from 'node:assert'
import { createMurmurNode, PROTOCOL_PREFIX } from '@murmur/libp2p'
import { createBareNode } from '../lib/bare-libp2p.ts'
import { askMemory, spawnBareNode, stop } from '../lib/memory-procs.ts'
import type { MemoryReading } from '../lib/memory-reading.ts'
import { compare, type MemoryMB, type ProcessRow, perNodeCost } from '../lib/memory-summary.ts'
import { alive } from '../lib/proc.ts'

const MB = 2 ** 20

function row(kind: ProcessRow['kind'], rssMB: number, heapUsedMB: number): ProcessRow {
  const m: MemoryMB = {
    rssMB,
    heapUsedMB,
    heapTotalMB: heapUsedMB,
    externalMB: 0,
    arrayBuffersMB: 0,
    codeSpaceMB: 0,
    bytecodeMB: 0,
    scriptSourceMB: 0,
    mallocedMB: 0,
  }
  return { kind, pid: 1, rssMB, rssAnonMB: rssMB / 2, rssFileMB: rssMB / 2, peers: 9, before: m, afterGc: m }
}

function reading(rssMB: number, heapUsedMB: number): MemoryReading {
  return {
    rss: rssMB * MB,
    heapTotal: heapUsedMB * MB,
    heapUsed: heapUsedMB * MB,
    external: 0,
    arrayBuffers: 0,
    spaces: {},
    code: { bytecodeAndMetadata: 0, externalScriptSource: 0 },
    malloced: 0,
  }
}

describe('bench: memory', () => {
  it('compares agents with bare nodes by medians and maxima', () => {
    const c = compare([
      row('agent', 90, 16),
      row('agent', 110, 18),
      row('agent', 100, 17),
      row('bare', 80, 12),
      row('bare', 100, 13),
    ])
    assert.deepEqual(c.processes, { agent: 3, bare: 2 })
    assert.deepEqual(c.rssMB.agent, { median: 100, max: 110, min: 90 })
    assert.deepEqual(c.rssMB.bare, { median: 90, max: 100, min: 80 })
    assert.deepEqual(c.rssRatio, { median: 1.11, max: 1.1 })
    assert.equal(c.heapUsedAfterGcMB.agent.median, 17)
    assert.equal(c.bareUnbundled, undefined)
    assert.equal(
      compare([row('agent', 1, 1), row('bare', 1, 1), row('bare-unbundled', 2, 2)]).bareUnbundled?.processes,
      1,
    )
  })

  it('divides the difference with and without Murmur by the number of nodes', () => {
    const without = { end: reading(100, 30), afterGc: reading(90, 20), samples: [{ rssMB: 100 }, { rssMB: 120 }] }
    const withMurmur = { end: reading(140, 50), afterGc: reading(130, 36), samples: [{ rssMB: 200 }, { rssMB: 150 }] }
    assert.deepEqual(perNodeCost(20, without, withMurmur), {
      heapUsedAfterGcMB: 0.8,
      rssAfterGcMB: 2,
      rssMB: 2,
      rssPeakMB: 4,
    })
  })

  it("serves the same protocols as createMurmurNode's libp2p, Murmur's own aside", async () => {
    const bare = await createBareNode()
    const murmur = await createMurmurNode()
    try {
      const own = (p: string) => p.startsWith(PROTOCOL_PREFIX)
      assert.deepEqual(
        bare.getProtocols().sort(),
        murmur
          .getProtocols()
          .filter((p) => !own(p))
          .sort(),
      )
      assert.ok(murmur.getProtocols().some(own))
    } finally {
      await Promise.all([bare.stop(), murmur.stop()])
    }
  })

  it('reads a bare node process over IPC, before and after a full GC, then kills it', async function () {
    this.timeout(30_000)
    const p = await spawnBareNode(true)
    try {
      const m = await askMemory(p)
      assert.equal(m.pid, p.pid)
      assert.ok(m.reading.heapUsed > 0)
      assert.ok(m.afterGc !== null && m.afterGc.heapUsed > 0)
    } finally {
      await stop(p)
    }
    assert.equal(alive(p.pid), false)
  })
})
