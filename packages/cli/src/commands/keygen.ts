import { writeFile } from 'node:fs/promises'
import { Command, Option } from '@commander-js/extra-typings'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKey } from '@libp2p/pnet'
import { CliError } from '../errors.ts'
import { createKeyFile } from '../keys.ts'
import type { IO } from '../output.ts'

export function makeKeygenCommand(io: IO) {
  return new Command('keygen')
    .description('create a node identity (Ed25519) for --key-file, or with --psk a private network key for --psk-file')
    .argument('<path>', 'file to create (mode 0600)')
    .addOption(new Option('--psk', 'create a libp2p private network (pre-shared) key instead'))
    .addOption(new Option('--force', 'overwrite an existing file'))
    .action(async (path, o) => {
      if (o.psk) {
        const key = new Uint8Array(95)
        generateKey(key)
        try {
          await writeFile(path, key, { mode: 0o600, flag: o.force ? 'w' : 'wx' })
        } catch (err) {
          const code = (err as { code?: string }).code
          if (code === 'EEXIST')
            throw new CliError(`${path} already exists; pass --force to replace it`, 'ERR_KEY_FILE')
          throw new CliError(`cannot write ${path} (${code ?? (err as Error).message})`, 'ERR_KEY_FILE')
        }
        io.out(`wrote a private network key to ${path}; give the same file to every agent with --psk-file`)
        return
      }
      const key = await createKeyFile(path, o.force === true)
      io.out(peerIdFromPrivateKey(key).toString())
    })
}
