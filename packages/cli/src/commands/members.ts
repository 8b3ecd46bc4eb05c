import { Command, Option } from '@commander-js/extra-typings'
import type { MemberJson } from '../model.ts'
import { collect, parseTag } from '../options.ts'
import { type IO, membersTable } from '../output.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption } from './common.ts'

export function makeMembersCommand(io: IO) {
  return new Command('members')
    .description('list the members the agent knows (id, name, address, state, incarnation, tags, last RTT)')
    .addOption(
      new Option('--state <state>', 'only members in this state').choices(['alive', 'suspect', 'dead', 'left']),
    )
    .addOption(new Option('--tag <key=value>', 'only members with this tag, repeatable').argParser(collect(parseTag)))
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
      io.out(o.json ? JSON.stringify(members) : membersTable(members, io.isTTY))
    })
}
