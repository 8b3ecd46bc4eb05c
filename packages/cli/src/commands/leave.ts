import { Command } from '@commander-js/extra-typings'
import { ApiClient } from '../api/client.ts'
import type { IO } from '../output.ts'
import { apiOption } from './common.ts'

export function makeLeaveCommand(io: IO) {
  return new Command('leave')
    .description('make the agent leave the cluster gracefully and exit')
    .addOption(apiOption())
    .action(async (o) => {
      await new ApiClient(o.api).post('/v1/leave')
      io.out('left the cluster; the agent is shutting down')
    })
}
