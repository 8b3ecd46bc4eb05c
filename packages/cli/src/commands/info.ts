import { Command } from '@commander-js/extra-typings'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption } from './common.ts'

export function makeInfoCommand(io: IO) {
  return new Command('info')
    .description("the agent's identity, addresses, health, counters and config")
    .addOption(jsonOption())
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (o) => {
      const api = await connect(o, io)
      const info = await api.get<Record<string, unknown>>('/v1/info')
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
