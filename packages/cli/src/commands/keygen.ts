import { Command, Option } from '@commander-js/extra-typings'
import { createKeyFile, writeSecretFile } from '../keys.ts'
import type { IO } from '../output.ts'

export function makeKeygenCommand(io: IO) {
  return new Command('keygen')
    .description('create a node identity (Ed25519) for --key-file, or with --psk a private network key for --psk-file')
    .argument('<path>', 'file to create (mode 0600)')
    .addOption(new Option('--psk', 'create a libp2p private network (pre-shared) key instead'))
    .addOption(new Option('--force', 'overwrite an existing file'))
    .action(async (path, o) => {
      if (o.psk) {
        const { generateKey } = await import('@libp2p/pnet')
        const key = new Uint8Array(95)
        generateKey(key)
        await writeSecretFile(path, key, o.force === true, 'ERR_KEY_FILE')
        io.out(`wrote a private network key to ${path}; give the same file to every agent with --psk-file`)
        return
      }
      const key = await createKeyFile(path, o.force === true)
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
      io.out(peerIdFromPrivateKey(key).toString())
    })
}
