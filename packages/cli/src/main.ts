import { Command, CommanderError } from '@commander-js/extra-typings'
import { makeAgentCommand } from './commands/agent.ts'
import type { Outcome } from './commands/common.ts'
import { makeDemoCommand } from './commands/demo.ts'
import { makeEventCommand } from './commands/event.ts'
import { makeForceLeaveCommand } from './commands/force-leave.ts'
import { makeInfoCommand } from './commands/info.ts'
import { makeJoinCommand } from './commands/join.ts'
import { makeKeygenCommand } from './commands/keygen.ts'
import { makeLeaveCommand } from './commands/leave.ts'
import { makeMembersCommand } from './commands/members.ts'
import { makeMonitorCommand } from './commands/monitor.ts'
import { makeQueryCommand } from './commands/query.ts'
import { makeReachabilityCommand } from './commands/reachability.ts'
import { makeRttCommand } from './commands/rtt.ts'
import { makeTagsCommand } from './commands/tags.ts'
import { CliError, EXIT } from './errors.ts'
import { type IO, processIO } from './output.ts'
import { VERSION } from './version.ts'

/** Builds the `murmur` program. Exposed for tests (exitOverride + configureOutput are set). */
export function buildProgram(io: IO, outcome: Outcome, signal: AbortSignal): Command {
  const program = new Command('murmur')
    .description('Murmur: gossip membership over libp2p (SWIM + Lifeguard)')
    .version(VERSION, '-V, --version', 'print the version of murmur')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) })
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure, 2 bad usage, 3 join failed, 4 no agent at --api.\nEnvironment: MURMUR_API, MURMUR_API_TOKEN_FILE, MURMUR_API_TOKEN, MURMUR_PROFILE, MURMUR_NAME, MURMUR_KEY_FILE, MURMUR_PSK_FILE.',
    )
  const commands = [
    makeAgentCommand(io, outcome),
    makeMembersCommand(io),
    makeJoinCommand(io),
    makeLeaveCommand(io),
    makeForceLeaveCommand(io),
    makeTagsCommand(io),
    makeEventCommand(io),
    makeQueryCommand(io, signal),
    makeRttCommand(io),
    makeReachabilityCommand(io, outcome),
    makeMonitorCommand(io, signal),
    makeInfoCommand(io),
    makeKeygenCommand(io),
    makeDemoCommand(io, outcome, signal),
  ]
  for (const c of commands) {
    c.copyInheritedSettings(program)
    for (const sub of c.commands) sub.copyInheritedSettings(program)
    program.addCommand(c as unknown as Command)
  }
  return program
}

/**
 * Runs the CLI and resolves to the exit code; never calls process.exit (bin.ts does).
 * Usage errors print one line plus a hint; other failures print one line (stack with --debug).
 */
export async function main(
  argv: string[],
  io: IO = processIO,
  signal: AbortSignal = new AbortController().signal,
): Promise<number> {
  const outcome: Outcome = { exitCode: EXIT.ok }
  const program = buildProgram(io, outcome, signal)
  const debug = argv.includes('--debug')
  try {
    await program.parseAsync(argv)
    return outcome.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 1 && err.code !== 'commander.executeSubCommandAsync' ? EXIT.usage : err.exitCode
    }
    if (err instanceof CliError) {
      io.err(`murmur: ${err.message}`)
      if (debug) io.err(err.stack ?? '')
      return err.exitCode
    }
    const e = err as Error & { code?: string }
    io.err(`murmur: ${e.message}${e.code ? ` (${e.code})` : ''}`)
    if (debug) io.err(e.stack ?? '')
    else io.err('murmur: run again with --debug for details')
    return EXIT.failure
  }
}
