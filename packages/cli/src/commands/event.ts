import { Command } from '@commander-js/extra-typings'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

export function makeEventCommand(io: IO) {
  return new Command('event')
    .description('send a named user event to every member (delivered once each)')
    .argument('<name>', 'event name, 1-128 characters')
    .argument('[payload]', 'optional text payload', '')
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (name, payload, o) => {
      const api = await connect(o, io)
      await api.post('/v1/event', { name, payload })
      io.out(`event "${name}" sent`)
    })
}
