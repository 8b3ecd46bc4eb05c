import { Option } from '@commander-js/extra-typings'
import { ApiClient, DEFAULT_API } from '../api/client.ts'
import { readTokenFile } from '../keys.ts'
import { parseApiAddress } from '../options.ts'
import type { IO } from '../output.ts'

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

/** `--api-token-file`, for the commands that talk to an agent started with one. */
export function apiTokenFileOption() {
  return new Option(
    '--api-token-file <path>',
    "file holding the agent's API token (or set MURMUR_API_TOKEN to the token itself)",
  ).env('MURMUR_API_TOKEN_FILE')
}

/**
 * The client for `--api`, with the token from `--api-token-file` / MURMUR_API_TOKEN_FILE, else
 * from MURMUR_API_TOKEN (an empty variable counts as unset).
 */
export async function connect(o: { api: string; apiTokenFile?: string }, io: IO): Promise<ApiClient> {
  const token =
    o.apiTokenFile !== undefined
      ? await readTokenFile(o.apiTokenFile, (m) => io.err(`murmur: ${m}`))
      : process.env.MURMUR_API_TOKEN?.trim() || undefined
  return new ApiClient(o.api, { token })
}
