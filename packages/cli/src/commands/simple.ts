import { Argument, Command } from '@commander-js/extra-typings'
import { ApiClient } from '../api/client.ts'
import { collect, parseMultiaddr, parseTag, parseTagKey } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, jsonOption } from './common.ts'

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

export function makeLeaveCommand(io: IO) {
  return new Command('leave')
    .description('make the agent leave the cluster gracefully and exit')
    .addOption(apiOption())
    .action(async (o) => {
      await new ApiClient(o.api).post('/v1/leave')
      io.out('left the cluster; the agent is shutting down')
    })
}

export function makeTagsCommand(io: IO) {
  const tags = new Command('tags').description("change this agent's tags (re-announced to every member)")
  tags
    .command('set')
    .description('set one or more tags')
    .addArgument(new Argument('<key=value...>').argParser(collect(parseTag)))
    .addOption(apiOption())
    .action(async (pairs, o) => {
      const r = await new ApiClient(o.api).post<{ tags: Record<string, string> }>('/v1/tags', {
        set: Object.fromEntries(pairs),
      })
      io.out(JSON.stringify(r.tags))
    })
  tags
    .command('unset')
    .description('remove one or more tags')
    .addArgument(new Argument('<key...>').argParser(collect(parseTagKey)))
    .addOption(apiOption())
    .action(async (keys, o) => {
      const r = await new ApiClient(o.api).post<{ tags: Record<string, string> }>('/v1/tags', { unset: keys })
      io.out(JSON.stringify(r.tags))
    })
  return tags
}

export function makeEventCommand(io: IO) {
  return new Command('event')
    .description('send a named user event to every member (delivered once each)')
    .argument('<name>', 'event name, 1-128 characters')
    .argument('[payload]', 'optional text payload', '')
    .addOption(apiOption())
    .action(async (name, payload, o) => {
      await new ApiClient(o.api).post('/v1/event', { name, payload })
      io.out(`event "${name}" sent`)
    })
}

export function makeInfoCommand(io: IO) {
  return new Command('info')
    .description("the agent's identity, addresses, health, counters and config")
    .addOption(jsonOption())
    .addOption(apiOption())
    .action(async (o) => {
      const info = await new ApiClient(o.api).get<Record<string, unknown>>('/v1/info')
      if (o.json) return io.out(JSON.stringify(info))
      const { config, stats, ...rest } = info
      const lines = Object.entries(rest).map(
        ([k, v]) => `${k.padEnd(14)} ${typeof v === 'object' ? JSON.stringify(v) : v}`,
      )
      const s = stats as Record<string, unknown>
      lines.push(`${'stats'.padEnd(14)} ${JSON.stringify({ ...s, drops: undefined })}`)
      lines.push(`${'drops'.padEnd(14)} ${JSON.stringify(s.drops)}`)
      lines.push(`${'profile'.padEnd(14)} ${(config as { profile: string }).profile}`)
      io.out(lines.join('\n'))
    })
}
