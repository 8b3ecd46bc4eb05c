import { Argument, Command, Option } from '@commander-js/extra-typings'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

/**
 * `murmur force-leave <id>`: the agent forgets a member it holds dead (or left) now, instead of
 * after its tombstone time, and stops dialling it; by default it asks the cluster to do the
 * same (each member honours that only for a member it holds dead itself). It cannot remove a
 * member that is alive or suspect: under Murmur's trust rules nobody makes another member leave.
 */
export function makeForceLeaveCommand(io: IO) {
  return new Command('force-leave')
    .description('forget a dead member now (its tombstone is reaped), here and, unless --no-prune, cluster-wide')
    .addArgument(new Argument('<id>', 'the member: peer id, unique id prefix or name'))
    .addOption(new Option('--no-prune', 'only on this agent: do not ask the other members to forget it too'))
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (id, o) => {
      const api = await connect(o, io)
      const r = await api.post<{ id: string; prune: boolean }>('/v1/force-leave', { id, prune: o.prune })
      io.out(`forgot ${r.id}${r.prune ? '; asked the cluster to forget it too' : ' (this agent only)'}`)
    })
}
