import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CliError } from './errors.ts'

/** What `--snapshot` remembers: the members' addresses, to rejoin after a restart (like Serf). */
export interface Snapshot {
  version: 1
  savedAt: string
  members: Array<{ id: string; addrs: string[] }>
}

export async function readSnapshot(path: string): Promise<Snapshot | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined
    throw new CliError(`cannot read snapshot ${path}: ${(err as Error).message}`, 'ERR_SNAPSHOT')
  }
  try {
    const s = JSON.parse(text) as Snapshot
    if (s.version !== 1 || !Array.isArray(s.members)) throw new Error('unknown format')
    return s
  } catch (err) {
    throw new CliError(
      `snapshot ${path} is not a murmur snapshot (${(err as Error).message}); delete it or point --snapshot elsewhere`,
      'ERR_SNAPSHOT',
    )
  }
}

/** Writes atomically (temp file, then rename), so a crash mid-write never leaves half a file. */
export async function writeSnapshot(path: string, members: Snapshot['members']): Promise<void> {
  const snap: Snapshot = { version: 1, savedAt: new Date().toISOString(), members }
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(snap, null, 1)}\n`, { mode: 0o600 })
  await rename(tmp, path)
}

/** Multiaddrs to dial for a remembered member (with /p2p/<id> appended when missing). */
export function snapshotAddrs(s: Snapshot, selfId: string): string[] {
  return s.members
    .filter((m) => m.id !== selfId)
    .flatMap((m) => m.addrs.map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${m.id}`)))
}
