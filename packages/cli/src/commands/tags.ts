import { Argument, Command } from '@commander-js/extra-typings'
import { collect, parseTag, parseTagKey } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

export function makeTagsCommand(io: IO) {
  const tags = new Command('tags').description("change this agent's tags (re-announced to every member)")
  tags
    .command('set')
    .description('set one or more tags')
    .addArgument(new Argument('<key=value...>').argParser(collect(parseTag)))
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (pairs, o) => {
      const api = await connect(o, io)
      const r = await api.post<{ tags: Record<string, string> }>('/v1/tags', {
        set: Object.fromEntries(pairs),
      })
      io.out(JSON.stringify(r.tags))
    })
  tags
    .command('unset')
    .description('remove one or more tags')
    .addArgument(new Argument('<key...>').argParser(collect(parseTagKey)))
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (keys, o) => {
      const api = await connect(o, io)
      const r = await api.post<{ tags: Record<string, string> }>('/v1/tags', { unset: keys })
      io.out(JSON.stringify(r.tags))
    })
  return tags
}
