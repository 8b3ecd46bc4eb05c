import assert from 'node:assert/strict'
import { existsSync, fstatSync } from 'node:fs'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readSnapshot, type Snapshot, SnapshotWriter, snapshotAddrs, writeSnapshot } from '../src/snapshot.ts'

const peer = async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

describe('murmur: --snapshot file', () => {
  let dir: string
  let path: string
  let warnings: string[]
  const warn = (m: string) => void warnings.push(m)
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-snap-'))
    path = join(dir, 'sub', 'members.json')
    warnings = []
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trips members, and a missing file is no snapshot', async () => {
    assert.equal(await readSnapshot(path, warn), undefined)
    const id = await peer()
    await writeSnapshot(path, [{ id, addrs: ['/ip4/127.0.0.1/tcp/4001'] }])
    const s = await readSnapshot(path, warn)
    assert.deepEqual(s?.members, [{ id, addrs: ['/ip4/127.0.0.1/tcp/4001'] }])
    assert.deepEqual(snapshotAddrs(s!, 'me'), [`/ip4/127.0.0.1/tcp/4001/p2p/${id}`])
    assert.equal(warnings.length, 0)
  })

  it('a file that is not JSON, or not a snapshot, warns and gives an empty snapshot', async () => {
    await writeSnapshot(path, [])
    for (const text of ['', 'garbage{', '[1,2]', 'null', '{"version":2,"members":[]}', '{"version":1}']) {
      await writeFile(path, text)
      warnings = []
      const s = await readSnapshot(path, warn)
      assert.deepEqual(s?.members, [], text)
      assert.equal(warnings.length, 1, text)
      assert.ok(warnings[0].includes(path), warnings[0])
    }
  })

  it('an oversized file warns and gives an empty snapshot without parsing it', async () => {
    await writeFile(path.replace('sub/', ''), `{"version":1,"members":[],"pad":"${'x'.repeat(2000)}"}`)
    const s = await readSnapshot(path.replace('sub/', ''), warn, 1000)
    assert.deepEqual(s?.members, [])
    assert.equal(warnings.length, 1)
  })

  it('skips bad entries with a warning naming what is wrong, keeps the good ones', async () => {
    const good = await peer()
    const other = await peer()
    const members: unknown[] = [
      null,
      5,
      { addrs: [] },
      { id: 5, addrs: [] },
      { id: 'not-a-peer-id', addrs: [] },
      { id: other, addrs: '/ip4/1.2.3.4/tcp/1' },
      { id: other, addrs: [7] },
      { id: other, addrs: ['not a multiaddr'] },
      { id: other, addrs: [`/dns4/${'a'.repeat(5000)}.example/tcp/1`] },
      { id: other, addrs: Array.from({ length: 1000 }, (_, i) => `/ip4/10.0.0.1/tcp/${i + 1}`) },
      { id: good, addrs: ['/ip4/10.0.0.2/tcp/7946'] },
    ]
    await writeFile(path.replace('sub/', ''), JSON.stringify({ version: 1, savedAt: 'x', members }))
    const s = (await readSnapshot(path.replace('sub/', ''), warn)) as Snapshot
    assert.deepEqual(s.members, [{ id: good, addrs: ['/ip4/10.0.0.2/tcp/7946'] }])
    assert.deepEqual(snapshotAddrs(s, 'me'), [`/ip4/10.0.0.2/tcp/7946/p2p/${good}`])
    assert.equal(warnings.length, members.length - 1, warnings.join('\n'))
    for (const [i, w] of warnings.entries()) assert.ok(w.includes(`member ${i}`), w)
  })

  it('fsyncs the temp file before the rename and the directory after it', async () => {
    const probe = await open(join(dir, 'probe'), 'w')
    const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> }
    await probe.close()
    const original = proto.sync
    const syncs: Array<{ directory: boolean; renamed: boolean }> = []
    proto.sync = async function (this: { fd: number }) {
      syncs.push({ directory: fstatSync(this.fd).isDirectory(), renamed: existsSync(path) })
      return original.call(this)
    }
    try {
      await writeSnapshot(path, [])
    } finally {
      proto.sync = original
    }
    assert.deepEqual(syncs, [
      { directory: false, renamed: false },
      { directory: true, renamed: true },
    ])
  })

  it('never runs two saves at once; a save requested meanwhile waits and the latest state wins', async () => {
    const writes: string[] = []
    let running = 0
    let maxRunning = 0
    let release: () => void = () => {}
    const writer = new SnapshotWriter(path, async (_path, members) => {
      running++
      maxRunning = Math.max(maxRunning, running)
      await new Promise<void>((r) => {
        release = r
      })
      writes.push(members.map((m) => m.id).join(','))
      running--
    })
    const first = writer.save([{ id: 'a', addrs: [] }])
    await new Promise((r) => setImmediate(r))
    const second = writer.save([{ id: 'b', addrs: [] }])
    const third = writer.save([{ id: 'c', addrs: [] }])
    release()
    await first
    await new Promise((r) => setImmediate(r))
    release()
    await Promise.all([second, third])
    assert.deepEqual(writes, ['a', 'c'])
    assert.equal(maxRunning, 1)
  })

  it('a failed save does not block the next one', async () => {
    let fail = true
    const writer = new SnapshotWriter(path, async (p, members) => {
      if (fail) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' })
      await writeSnapshot(p, members)
    })
    await assert.rejects(writer.save([]), { code: 'ENOSPC' })
    fail = false
    await writer.save([{ id: 'x', addrs: [] }])
    assert.match(await readFile(path, 'utf8'), /"x"/)
  })

  it('many concurrent saves through the writer leave the last state, never a half file', async () => {
    const writer = new SnapshotWriter(path)
    const ids = await Promise.all(Array.from({ length: 5 }, peer))
    await Promise.all(ids.map((_id, i) => writer.save(ids.slice(0, i + 1).map((x) => ({ id: x, addrs: [] })))))
    const s = await readSnapshot(path, warn)
    assert.deepEqual(
      s?.members.map((m) => m.id),
      ids,
    )
  })
})
