import { Option } from '@commander-js/extra-typings'
import { DEFAULT_API } from '../api/client.ts'
import { parseApiAddress } from '../options.ts'

/** Where a command's result goes: main() reads the exit code from here. */
export interface Outcome {
  exitCode: number
}

/**
 * `--api host:port`: the one definition, for the agent (where to serve) and for every command
 * that talks to a running agent (where to call).
 */
export function apiOption(description = 'control API of the agent to talk to') {
  return new Option('--api <host:port>', description)
    .default(DEFAULT_API)
    .env('MURMUR_API')
    .argParser((v) => {
      parseApiAddress(v)
      return v
    })
}

export function jsonOption() {
  return new Option('--json', 'print JSON instead of a table')
}
