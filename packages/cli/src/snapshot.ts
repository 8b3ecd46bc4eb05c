import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULTS } from '@murmur/core'
import { DECODE_LIMITS } from '@murmur/core/wire'
import { CliError } from './errors.ts'

/** What `--snapshot` remembers: the members' addresses, to rejoin after a restart (like Serf). */
export interface Snapshot {
  version: 1
  savedAt: string
  members: Array<{ id: string; addrs: string[] }>
}

type Entry = Snapshot['members'][number]

/** Members a snapshot may hold: as many as one full-state sync can carry (two claims per member). */
export const MAX_SNAPSHOT_MEMBERS = DECODE_LIMITS.updatesPerSync / 2
/** A multiaddr string longer than this is not one we wrote (a DNS name with port and /p2p is ~150). */
export const MAX_SNAPSHOT_ADDR_CHARS = 1024
/** Bigger files are not read: MAX_SNAPSHOT_MEMBERS with a few addresses each fit many times over. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
/** Bad entries warned about one by one; past this, one line counts the rest. */
const MAX_ENTRY_WARNINGS = 20

const empty = (): Snapshot => ({ version: 1, savedAt: '', members: [] })

/**
 * Reads `--snapshot`. Missing: undefined. A file that is not a snapshot (not JSON, another
 * version, too big) is warned about and read as empty, so the agent starts without it; a bad
 * entry is skipped with a warning naming what is wrong. Only an unreadable file is an error.
 */
export async function readSnapshot(
  path: string,
  warn: (message: string) => void,
  maxBytes = MAX_SNAPSHOT_BYTES,
): Promise<Snapshot | undefined> {
  let text: string
  try {
    const size = (await stat(path)).size
    if (size > maxBytes) {
      warn(`snapshot ${path} is ${size} bytes, over ${maxBytes}; ignoring it (it will be rewritten)`)
      return empty()
    }
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw new CliError(`cannot read snapshot ${path}: ${(err as Error).message}`, 'ERR_SNAPSHOT')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    warn(`snapshot ${path} is not JSON (${(err as Error).message}); ignoring it (it will be rewritten)`)
    return empty()
  }
  const s = value as Partial<Snapshot> | null
  if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.members)) {
    warn(`snapshot ${path} is not a murmur snapshot (expected {"version": 1, "members": [...]}); ignoring it`)
    return empty()
  }
  const members: Entry[] = []
  let bad = 0
  for (const [i, m] of (s.members as unknown[]).entries()) {
    const problem = members.length >= MAX_SNAPSHOT_MEMBERS ? `over ${MAX_SNAPSHOT_MEMBERS} members` : entryProblem(m)
    if (problem === undefined) members.push({ id: (m as Entry).id, addrs: [...(m as Entry).addrs] })
    else if (++bad <= MAX_ENTRY_WARNINGS) warn(`snapshot ${path}: member ${i} skipped: ${problem}`)
  }
  if (bad > MAX_ENTRY_WARNINGS) warn(`snapshot ${path}: ${bad - MAX_ENTRY_WARNINGS} more bad members skipped`)
  return { version: 1, savedAt: typeof s.savedAt === 'string' ? s.savedAt : '', members }
}

/** What is wrong with one remembered member, or undefined when it is usable. */
function entryProblem(m: unknown): string | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return 'not an object'
  const { id, addrs } = m as { id?: unknown; addrs?: unknown }
  if (typeof id !== 'string') return 'id is not a string'
  try {
    peerIdFromString(id)
  } catch {
    return `id ${JSON.stringify(id.slice(0, 80))} is not a libp2p peer id`
  }
  if (!Array.isArray(addrs)) return 'addrs is not an array'
  if (addrs.length > DEFAULTS.maxAddrsPerMember) return `${addrs.length} addrs, over ${DEFAULTS.maxAddrsPerMember}`
  for (const a of addrs) {
    if (typeof a !== 'string') return 'an addr is not a string'
    if (a.length > MAX_SNAPSHOT_ADDR_CHARS) return `an addr of ${a.length} characters, over ${MAX_SNAPSHOT_ADDR_CHARS}`
    try {
      multiaddr(a)
    } catch {
      return `addr ${JSON.stringify(a.slice(0, 80))} is not a multiaddr`
    }
  }
  return undefined
}

/**
 * Writes durably and atomically: a fresh temp file, fsync, rename over the old file, fsync the
 * directory. A crash leaves the old snapshot or the new one, never half of one, and the rename
 * itself survives a power cut. Use SnapshotWriter to keep saves from interleaving.
 */
export async function writeSnapshot(path: string, members: Snapshot['members']): Promise<void> {
  const snap: Snapshot = { version: 1, savedAt: new Date().toISOString(), members }
  const dir = dirname(path)
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const file = await open(tmp, 'wx', 0o600)
    try {
      await file.writeFile(`${JSON.stringify(snap, null, 1)}\n`)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDirectory(dir)
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch (err) {
    // some platforms and file systems cannot fsync a directory; the rename is done either way
    const code = (err as { code?: string }).code
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw err
  } finally {
    await handle.close()
  }
}

/**
 * One save at a time: a save requested while one runs waits for it, and saves requested
 * meanwhile collapse into one write of the latest members (each caller's promise settles
 * with that write).
 */
export class SnapshotWriter {
  private readonly path: string
  private readonly write: (path: string, members: Snapshot['members']) => Promise<void>
  private tail: Promise<void> = Promise.resolve()
  private queued: { members: Snapshot['members']; done: Promise<void> } | undefined

  /** `write` is for tests; the default is writeSnapshot. */
  constructor(path: string, write: (path: string, members: Snapshot['members']) => Promise<void> = writeSnapshot) {
    this.path = path
    this.write = write
  }

  save(members: Snapshot['members']): Promise<void> {
    if (this.queued !== undefined) {
      this.queued.members = members
      return this.queued.done
    }
    const queued = { members, done: Promise.resolve() }
    queued.done = this.tail.then(() => {
      this.queued = undefined // from here on, a new save queues behind this write
      return this.write(this.path, queued.members)
    })
    this.queued = queued
    this.tail = queued.done.catch(() => {})
    return queued.done
  }
}

/** Multiaddrs to dial for a remembered member (with /p2p/<id> appended when missing). */
export function snapshotAddrs(s: Snapshot, selfId: string): string[] {
  return s.members
    .filter((m) => m.id !== selfId)
    .flatMap((m) => m.addrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${m.id}`)))
}
