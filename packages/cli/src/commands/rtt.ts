import { Argument, Command } from '@commander-js/extra-typings'
import { estimateRttMs } from '@murmur/core'
import { CliError, EXIT } from '../errors.ts'
import type { MemberJson } from '../model.ts'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption } from './common.ts'

/**
 * `murmur rtt <a> [b]`: the round trip time between two members estimated from their network
 * coordinates (as `serf rtt`), `b` defaulting to the agent itself. A member is named by its id,
 * a unique id prefix, or its name.
 */
export function makeRttCommand(io: IO) {
  return new Command('rtt')
    .description('estimated round trip time between two members, from their network coordinates')
    .addArgument(new Argument('<a>', 'a member: id, unique id prefix or name'))
    .addArgument(new Argument('[b]', 'another member (default: the agent itself)'))
    .addOption(jsonOption())
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (a, b, o) => {
      const api = await connect(o, io)
      const { members } = await api.get<{ members: MemberJson[] }>('/v1/members')
      const self = await api.get<MemberJson>('/v1/self')
      const first = find(members, a)
      const second = b === undefined ? self : find(members, b)
      if (!first.coordinate || !second.coordinate) {
        const missing = first.coordinate ? second : first
        throw new CliError(
          `no network coordinate for ${missing.name || missing.id} yet: the agent learns one with a direct probe of it (within one probe pass over the cluster)`,
          'ERR_NO_COORDINATE',
          EXIT.failure,
        )
      }
      const rttMs = Math.round(estimateRttMs(first.coordinate, second.coordinate) * 100) / 100
      if (o.json) return io.out(JSON.stringify({ a: first.id, b: second.id, rttMs }))
      io.out(`estimated rtt from ${first.name || first.id} to ${second.name || second.id}: ${rttMs} ms`)
    })
}

function find(members: MemberJson[], key: string): MemberJson {
  const exact = members.find((m) => m.id === key || m.name === key)
  if (exact !== undefined) return exact
  const byPrefix = members.filter((m) => m.id.startsWith(key))
  if (byPrefix.length === 1) return byPrefix[0]
  throw new CliError(
    byPrefix.length === 0
      ? `no member ${key} (murmur members lists them)`
      : `${key} names ${byPrefix.length} members: give more of the id`,
    'ERR_UNKNOWN_MEMBER',
    EXIT.usage,
  )
}
