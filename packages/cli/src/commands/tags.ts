import { Argument, Command } from '@commander-js/extra-typings'
import { ApiClient } from '../api/client.ts'
import { collect, parseTag, parseTagKey } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption } from './common.ts'

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
