import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { CliError, EXIT } from './errors.ts'

/**
 * @libp2p/crypto's keys, loaded on first use: `--api-token-file` (read by every client command)
 * lives in this module too, and the client commands should not load libp2p's crypto.
 */
const libp2pKeys = () => import('@libp2p/crypto/keys')

/** Where warnings about secret files go (stderr through the IO object). */
export type Warn = (message: string) => void
const silent: Warn = () => {}

/** Permission bits that let anyone but the owner at a secret file. */
export const EXPOSED_MODE_BITS = 0o077

/** Warns, with the command that fixes it, when group or others may read or write a secret file. */
export function warnIfExposed(path: string, mode: number, what: string, warn: Warn): void {
  if (process.platform === 'win32' || (mode & EXPOSED_MODE_BITS) === 0) return
  warn(
    `warning: ${what} ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); fix with: chmod 600 ${path}`,
  )
}

/** Reads a secret file, checking its mode on the same open file (no race with a chmod in between). */
async function readSecret(path: string, what: string, warn: Warn): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    warnIfExposed(path, (await handle.stat()).mode, what, warn)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

function reason(err: unknown): string {
  return (err as { code?: string }).code ?? (err as Error).message
}

/**
 * Creates a secret file with mode 0600. Without `overwrite` it refuses an existing file; with it,
 * the bytes go to a fresh 0600 temp file renamed over the old one, so the result is 0600 whatever
 * the old file's mode was, and no reader ever sees the new secret under the old mode.
 */
export async function writeSecretFile(path: string, bytes: Uint8Array, overwrite: boolean, code: string) {
  try {
    await mkdir(dirname(path), { recursive: true })
    if (!overwrite) {
      await writeFile(path, bytes, { mode: 0o600, flag: 'wx' })
      await chmod(path, 0o600)
      return
    }
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(tmp, bytes, { mode: 0o600, flag: 'wx' })
      await chmod(tmp, 0o600)
      await rename(tmp, path)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  } catch (err) {
    if (reason(err) === 'EEXIST') throw new CliError(`${path} already exists; pass --force to replace it`, code)
    throw new CliError(`cannot write ${path} (${reason(err)})`, code)
  }
}

/**
 * The node identity in `--key-file`: the libp2p private key protobuf. Created (Ed25519, mode
 * 0600) when missing, so a restarted agent keeps its peer id.
 */
export async function loadOrCreateKey(
  path: string,
  warn: Warn = silent,
): Promise<{ key: PrivateKey; created: boolean }> {
  let bytes: Uint8Array
  try {
    bytes = await readSecret(path, 'key file', warn)
  } catch (err) {
    if (reason(err) !== 'ENOENT') {
      throw new CliError(`cannot read key file ${path} (${reason(err)}); check its permissions`, 'ERR_KEY_FILE')
    }
    return { key: await createKeyFile(path), created: true }
  }
  const { privateKeyFromProtobuf } = await libp2pKeys()
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
  const { generateKeyPair, privateKeyToProtobuf } = await libp2pKeys()
  const key = await generateKeyPair('Ed25519')
  await writeSecretFile(path, privateKeyToProtobuf(key), overwrite, 'ERR_KEY_FILE')
  return key
}

/** A libp2p swarm key for `--psk-file` (the format @libp2p/pnet reads). */
export async function readPsk(path: string, warn: Warn = silent): Promise<Uint8Array> {
  let bytes: Uint8Array
  try {
    bytes = await readSecret(path, 'psk file', warn)
  } catch (err) {
    throw new CliError(`cannot read psk file ${path} (${reason(err)})`, 'ERR_PSK_FILE')
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

/** An API token: visible ASCII (it travels in an HTTP header), surrounding whitespace ignored. */
const TOKEN = /^[\x21-\x7e]+$/

/** The control API bearer token from `--api-token-file` (agent and clients read the same file). */
export async function readTokenFile(path: string, warn: Warn = silent): Promise<string> {
  let text: string
  try {
    text = (await readSecret(path, 'API token file', warn)).toString('utf8').trim()
  } catch (err) {
    throw new CliError(`cannot read API token file ${path} (${reason(err)})`, 'ERR_API_TOKEN_FILE', EXIT.usage)
  }
  if (text === '') {
    throw new CliError(
      `API token file ${path} is empty; put a secret in it, e.g. \`openssl rand -hex 32 > ${path}\``,
      'ERR_API_TOKEN_FILE',
      EXIT.usage,
    )
  }
  if (!TOKEN.test(text)) {
    throw new CliError(
      `API token file ${path} must hold one token of printable ASCII without spaces (it is sent in an HTTP header)`,
      'ERR_API_TOKEN_FILE',
      EXIT.usage,
    )
  }
  return text
}
