/**
 * A failure the CLI reports as one line (no stack trace unless --debug) and maps to an exit code.
 * `code` is stable for scripts and tests.
 */
export class CliError extends Error {
  readonly code: string
  readonly exitCode: number
  constructor(message: string, code = 'ERR_CLI', exitCode = 1) {
    super(message)
    this.name = 'CliError'
    this.code = code
    this.exitCode = exitCode
  }
}

/** Exit codes, documented in `murmur --help`. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  joinFailed: 3,
  agentUnreachable: 4,
  /** Stopped by a second SIGINT/SIGTERM (or Ctrl-C in the demo), like a shell's 128 + SIGINT. */
  interrupted: 130,
} as const
