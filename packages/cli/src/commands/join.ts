import { Argument, Command } from '@commander-js/extra-typings'
import { ApiClient } from '../api/client.ts'
import { collect, parseMultiaddr } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption } from './common.ts'

export function makeJoinCommand(io: IO) {
  return new Command('join')
    .description('ask the agent to join a cluster through one or more members')
    .addArgument(
      new Argument('<multiaddr...>', 'members to join through (with /p2p/<peer id>)').argParser(
        collect(parseMultiaddr),
      ),
    )
    .addOption(apiOption())
    .action(async (addrs, o) => {
      const { joined } = await new ApiClient(o.api).post<{ joined: number }>('/v1/join', { addrs })
      io.out(`joined through ${joined} of ${addrs.length} address(es)`)
    })
}
