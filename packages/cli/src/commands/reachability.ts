import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings'
import { EXIT } from '../errors.ts'
import { parseDuration } from '../options.ts'
import { type IO, label } from '../output.ts'
import type { ReachabilityResult } from '../reachability.ts'
import { apiOption, apiTokenFileOption, connect, jsonOption, type Outcome } from './common.ts'

/** Longest --timeout: the whole check must answer within the API client's own timeout. */
const MAX_TIMEOUT_MS = 10_000

/**
 * `murmur reachability`: the agent pings every member it holds alive or suspect and reports who
 * answered (with the round trip) and who did not. Exits 1 when some did not.
 */
export function makeReachabilityCommand(io: IO, outcome: Outcome) {
  return new Command('reachability')
    .description('ping every live member from the agent and report who does not answer')
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for each answer (at most 10s)')
        .default(1000, '1s')
        .argParser((v) => {
          const ms = parseDuration(v)
          if (ms < 1 || ms > MAX_TIMEOUT_MS) throw new InvalidArgumentError('must be between 1ms and 10s')
          return ms
        }),
    )
    .addOption(jsonOption())
    .addOption(apiOption())
    .addOption(apiTokenFileOption())
    .action(async (o) => {
      const api = await connect(o, io)
      const { members } = await api.post<{ members: ReachabilityResult[] }>('/v1/reachability', {
        timeoutMs: o.timeout,
      })
      const silent = members.filter((m) => m.rttMs === null)
      if (silent.length > 0) outcome.exitCode = EXIT.failure
      if (o.json) return io.out(JSON.stringify({ members, unreachable: silent.length }))
      for (const m of members) {
        io.out(m.rttMs === null ? `${label(m)}  no answer (${m.error ?? 'timeout'})` : `${label(m)}  ${m.rttMs} ms`)
      }
      io.out(
        silent.length === 0
          ? `all ${members.length} member(s) answered`
          : `${silent.length} of ${members.length} member(s) did not answer within ${o.timeout} ms`,
      )
    })
}
