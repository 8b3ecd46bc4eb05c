import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings'
import type { QueryLine } from '../api/query.ts'
import { CliError } from '../errors.ts'
import { collect, parseDuration, parseNonNegativeInt } from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, apiTokenFileOption, connect } from './common.ts'

/** `--tag key=regexp`: checked for its shape here; the regexp itself by the agent's engine. */
function parseTagFilter(value: string): string {
  if (value.indexOf('=') <= 0)
    throw new InvalidArgumentError(`"${value}" is not a tag filter; expected key=regexp, e.g. role=web.*`)
  return value
}

export function makeQueryCommand(io: IO, signal?: AbortSignal) {
  return new Command('query')
    .description(
      "ask the members a question and print their answers until the deadline (each member's event handler answers with its stdout)",
    )
    .argument('<name>', 'query name, 1-128 characters')
    .argument('[payload]', 'optional text payload', '')
    .addOption(
      new Option('--tag <key=regexp>', 'only members whose tag matches the whole regexp, repeatable').argParser(
        collect(parseTagFilter),
      ),
    )
    .addOption(new Option('--node <peer id>', 'only this member, repeatable').argParser(collect((v: string) => v)))
    .addOption(
      new Option('--timeout <duration>', "how long to wait for answers (default: the engine's)").argParser(
        parseDuration,
      ),
    )
    .addOption(new Option('--ack', 'members ack on receipt too'))
    .addOption(
      new Option('--relay <n>', 'answers also travel through n random members (0-5)')
        .default(0)
        .argParser(parseNonNegativeInt),
    )
    .addOption(new Option('--json', 'print one JSON object per line: ack, answer, then done'))
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (name, payload, o) => {
      const api = await connect(o, io)
      const body = {
        name,
        payload,
        nodes: o.node ?? [],
        tags: o.tag ?? [],
        ...(o.timeout === undefined ? {} : { timeoutMs: o.timeout }),
        ack: o.ack === true,
        relay: o.relay,
      }
      if (!o.json) io.out(`query "${name}" sent`)
      let failure: CliError | undefined
      await api.stream(
        '/v1/query',
        (value) => {
          const l = value as QueryLine
          if (l.event === 'error') failure = new CliError(l.message, l.code)
          if (o.json) return io.out(JSON.stringify(l))
          const who = (l: { from: string; name: string }) => (l.name ? `${l.name} (${l.from})` : l.from)
          if (l.event === 'ack') io.out(`ack from ${who(l)}`)
          else if (l.event === 'answer') io.out(`answer from ${who(l)}: ${l.payload}`)
          else if (l.event === 'done') io.out(`${l.answers} answer(s), ${l.acks} ack(s)`)
        },
        signal,
        body,
      )
      if (failure !== undefined) throw failure
    })
}
