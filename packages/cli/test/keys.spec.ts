import assert from 'node:assert/strict'
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EXIT, main } from '../src/index.ts'
import { loadOrCreateKey, readPsk, readTokenFile } from '../src/keys.ts'
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

  it('keygen --force leaves mode 0600 even over a world-readable file (key and psk)', async () => {
    for (const psk of [false, true]) {
      const path = join(dir, psk ? 'swarm.key' : 'node.key')
      await writeFile(path, 'old secret')
      await chmod(path, 0o644)
      const args = ['node', 'murmur', 'keygen', ...(psk ? ['--psk'] : []), '--force', path]
      assert.equal(await main(args, captureIO()), 0)
      assert.equal((await stat(path)).mode & 0o777, 0o600, psk ? 'psk' : 'key')
      assert.notEqual(await readFile(path, 'utf8'), 'old secret')
    }
  })

  it('warns, with the chmod that fixes it, about key, psk and token files others can read', async () => {
    const key = join(dir, 'node.key')
    const psk = join(dir, 'swarm.key')
    const token = join(dir, 'api.token')
    await main(['node', 'murmur', 'keygen', key], captureIO())
    await main(['node', 'murmur', 'keygen', '--psk', psk], captureIO())
    await writeFile(token, 'tok3n\n', { mode: 0o600 })
    const warnings: string[] = []
    const warn = (m: string) => void warnings.push(m)
    await loadOrCreateKey(key, warn)
    await readPsk(psk, warn)
    assert.equal(await readTokenFile(token, warn), 'tok3n')
    assert.equal(warnings.length, 0, 'files at 0600 get no warning')
    for (const [path, mode] of [
      [key, 0o640],
      [psk, 0o604],
      [token, 0o660],
    ] as const) {
      await chmod(path, mode)
    }
    await loadOrCreateKey(key, warn)
    await readPsk(psk, warn)
    await readTokenFile(token, warn)
    assert.equal(warnings.length, 3)
    for (const [i, path] of [key, psk, token].entries())
      assert.ok(warnings[i].includes(`chmod 600 ${path}`), warnings[i])
  })

  it('refuses an empty or multi-word API token file', async () => {
    for (const text of ['', '  \n', 'two words']) {
      const path = join(dir, 'api.token')
      await writeFile(path, text, { mode: 0o600 })
      await assert.rejects(readTokenFile(path), { name: 'CliError', code: 'ERR_API_TOKEN_FILE' })
    }
    await assert.rejects(readTokenFile(join(dir, 'missing')), { code: 'ERR_API_TOKEN_FILE' })
  })

  it('the agent warns about an exposed key file on stderr before it starts', async () => {
    const key = join(dir, 'node.key')
    await main(['node', 'murmur', 'keygen', key], captureIO())
    await chmod(key, 0o644)
    const io = captureIO()
    // a bad --config makes the agent stop after reading its files, before any network
    const code = await main(['node', 'murmur', 'agent', '--key-file', key, '--config', join(dir, 'missing.json')], io)
    assert.equal(code, EXIT.usage)
    assert.ok(
      io.stderr.some((l) => l.includes(`chmod 600 ${key}`)),
      io.text(),
    )
  })
})
