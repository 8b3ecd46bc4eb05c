import { Argument, Command } from '@commander-js/extra-typings'
import { collect, parseMultiaddr } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

export function makeJoinCommand(io: IO) {
  return new Command('join')
    .description('ask the agent to join a cluster through one or more members')
    .addArgument(
      new Argument('<multiaddr...>', 'members to join through (with /p2p/<peer id>)').argParser(
        collect(parseMultiaddr),
      ),
    )
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (addrs, o) => {
      const api = await connect(o, io)
      const { joined } = await api.post<{ joined: number }>('/v1/join', { addrs })
      io.out(`joined through ${joined} of ${addrs.length} address(es)`)
    })
}
