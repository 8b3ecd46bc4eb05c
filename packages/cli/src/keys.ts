import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { CliError } from './errors.ts'

/**
 * The node identity in `--key-file`: the libp2p private key protobuf. Created (Ed25519, mode
 * 0600) when missing, so a restarted agent keeps its peer id.
 */
export async function loadOrCreateKey(path: string): Promise<{ key: PrivateKey; created: boolean }> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'ENOENT') {
      throw new CliError(
        `cannot read key file ${path} (${code ?? (err as Error).message}); check its permissions`,
        'ERR_KEY_FILE',
      )
    }
    return { key: await createKeyFile(path), created: true }
  }
  try {
    return { key: privateKeyFromProtobuf(bytes), created: false }
  } catch (err) {
    throw new CliError(
      `${path} is not a libp2p private key (${(err as Error).message}); make one with \`murmur keygen ${path}\``,
      'ERR_KEY_FILE',
    )
  }
}

export async function createKeyFile(path: string, overwrite = false): Promise<PrivateKey> {
  const key = await generateKeyPair('Ed25519')
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: overwrite ? 'w' : 'wx' })
    await chmod(path, 0o600)
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EEXIST') throw new CliError(`${path} already exists; pass --force to replace it`, 'ERR_KEY_FILE')
    throw new CliError(`cannot write key file ${path} (${code ?? (err as Error).message})`, 'ERR_KEY_FILE')
  }
  return key
}

/** A libp2p swarm key for `--psk-file` (the format @libp2p/pnet reads). */
export async function readPsk(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    throw new CliError(
      `cannot read psk file ${path} (${(err as { code?: string }).code ?? (err as Error).message})`,
      'ERR_PSK_FILE',
    )
  }
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/)
  if (lines[0] !== '/key/swarm/psk/1.0.0/' || !/^[0-9a-fA-F]{64}$/.test(lines[2] ?? '')) {
    throw new CliError(
      `${path} is not a libp2p swarm key (expected "/key/swarm/psk/1.0.0/", "/base16/", 64 hex digits); make one with \`murmur keygen --psk ${path}\``,
      'ERR_PSK_FILE',
    )
  }
  return bytes
}
