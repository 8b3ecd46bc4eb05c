import { Command } from '@commander-js/extra-typings'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

export function makeLeaveCommand(io: IO) {
  return new Command('leave')
    .description('make the agent leave the cluster gracefully and exit')
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (o) => {
      const api = await connect(o, io)
      await api.post('/v1/leave')
      io.out('left the cluster; the agent is shutting down')
    })
}
