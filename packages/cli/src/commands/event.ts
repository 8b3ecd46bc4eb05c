import { Command } from '@commander-js/extra-typings'
import { ApiClient } from '../api/client.ts'
import type { IO } from '../output.ts'
import { apiOption } from './common.ts'

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
