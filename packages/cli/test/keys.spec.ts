import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EXIT, main } from '../src/index.ts'
import { loadOrCreateKey, readPsk } from '../src/keys.ts'
import { captureIO } from './io.ts'

describe('murmur keygen and key files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'murmur-keys-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates a 0600 identity whose peer id survives a reload', async () => {
    const path = join(dir, 'sub', 'node.key')
    const io = captureIO()
    assert.equal(await main(['node', 'murmur', 'keygen', path], io), 0)
    const printed = io.stdout[0]
    assert.match(printed, /^12D3KooW/)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const { key, created } = await loadOrCreateKey(path)
    assert.equal(created, false)
    assert.equal(peerIdFromPrivateKey(key).toString(), printed)
  })

  it('refuses to overwrite without --force', async () => {
    const path = join(dir, 'node.key')
    await main(['node', 'murmur', 'keygen', path], captureIO())
    const io = captureIO()
    assert.equal(await main(['node', 'murmur', 'keygen', path], io), EXIT.failure)
    assert.match(io.text(), /already exists; pass --force/)
  })

  it('creates a missing key file on load, and rejects one that is not a key', async () => {
    const fresh = await loadOrCreateKey(join(dir, 'new.key'))
    assert.equal(fresh.created, true)
    const junk = join(dir, 'junk.key')
    await writeFile(junk, 'hello')
    await assert.rejects(loadOrCreateKey(junk), { name: 'CliError', code: 'ERR_KEY_FILE' })
  })

  it('writes a swarm key that the psk reader accepts, and rejects others', async () => {
    const path = join(dir, 'swarm.key')
    assert.equal(await main(['node', 'murmur', 'keygen', '--psk', path], captureIO()), 0)
    assert.match(await readFile(path, 'utf8'), /^\/key\/swarm\/psk\/1.0.0\/\n\/base16\/\n[0-9a-f]{64}$/)
    assert.equal((await readPsk(path)).byteLength, 95)
    await writeFile(join(dir, 'bad.key'), 'nope')
    await assert.rejects(readPsk(join(dir, 'bad.key')), { code: 'ERR_PSK_FILE' })
    await assert.rejects(readPsk(join(dir, 'missing.key')), { code: 'ERR_PSK_FILE' })
  })
})
