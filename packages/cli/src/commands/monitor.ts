import { Command } from '@commander-js/extra-typings'
import type { AgentEvent } from '../model.ts'
import { eventLine, type IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption } from './common.ts'

export function makeMonitorCommand(io: IO, signal?: AbortSignal) {
  return new Command('monitor')
    .description('stream live events from the agent, with the reason on suspect and dead')
    .addOption(jsonOption())
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (o) => {
      const api = await connect(o, io)
      await api.stream(
        '/v1/events',
        (e) => io.out(o.json ? JSON.stringify(e) : eventLine(e as AgentEvent, io.isTTY)),
        signal,
      )
    })
}
