import { Command, Option } from '@commander-js/extra-typings'
import type { MemberJson } from '../model.ts'
import { collect, parseTag } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption } from './common.ts'

export function makeMembersCommand(io: IO) {
  return new Command('members')
    .description('list the members the agent knows (id, name, address, state, incarnation, tags, last RTT)')
    .addOption(
      new Option('--state <state>', 'only members in this state').choices(['alive', 'suspect', 'dead', 'left']),
    )
    .addOption(new Option('--tag <key=value>', 'only members with this tag, repeatable').argParser(collect(parseTag)))
    .addOption(
      new Option('--sort <key>', 'order: rtt (estimated from network coordinates, nearest first), name or id').choices([
        'rtt',
        'name',
        'id',
      ]),
    )
    .addOption(jsonOption())
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (o) => {
      const api = await connect(o, io)
      const query = new URLSearchParams()
      if (o.state) query.set('state', o.state)
      for (const [k, v] of o.tag ?? []) query.append('tag', `${k}=${v}`)
      const q = query.size > 0 ? `?${query}` : ''
      const { members } = await api.get<{ members: MemberJson[] }>(`/v1/members${q}`)
      if (o.sort !== undefined) members.sort(byKey(o.sort as SortKey))
      if (o.json) return io.out(JSON.stringify(members))
      const { membersTable } = await import('../table.ts')
      io.out(membersTable(members, io.isTTY))
    })
}

type SortKey = 'rtt' | 'name' | 'id'

/** Orders members by `key`; members without an RTT estimate go last for 'rtt'. */
export function byKey(key: SortKey): (a: MemberJson, b: MemberJson) => number {
  if (key === 'rtt') {
    const rtt = (m: MemberJson) => m.rttEstimateMs ?? Number.POSITIVE_INFINITY
    return (a, b) => rtt(a) - rtt(b) || a.id.localeCompare(b.id)
  }
  return (a, b) => a[key].localeCompare(b[key]) || a.id.localeCompare(b.id)
}
