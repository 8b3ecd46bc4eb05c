import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Signer, Verifier } from '@murmur/core'
import { MAX_CACHED_KEYS } from './constants.ts'

/** Signs this node's claims with its libp2p private key. */
export function keySigner(key: PrivateKey): Signer {
  return { sign: (data) => key.sign(data) }
}

/**
 * Checks a claim against the public key embedded in the signer's peer id. Only Ed25519 peer ids
 * carry their key inline; anything else (RSA, secp256k1 without a key, a string that is not a
 * peer id) fails verification, and the engine counts it as a bad signature. Keys are cached.
 */
export class PeerIdVerifier implements Verifier {
  private readonly keys = new Map<string, PublicKey | null>()

  verify(signer: string, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean> {
    const key = this.key(signer)
    if (key === null) return false
    try {
      const ok = key.verify(data, signature)
      return ok instanceof Promise ? ok.catch(() => false) : ok
    } catch {
      // verify throws on a signature that is not 64 bytes long
      return false
    }
  }

  private key(id: string): PublicKey | null {
    const cached = this.keys.get(id)
    if (cached !== undefined) return cached
    let key: PublicKey | null = null
    try {
      const peerId = peerIdFromString(id)
      if (peerId.type === 'Ed25519') key = peerId.publicKey
    } catch {
      key = null
    }
    if (this.keys.size >= MAX_CACHED_KEYS) this.keys.delete(this.keys.keys().next().value!)
    this.keys.set(id, key)
    return key
  }
}
