import type { IO } from '../src/output.ts'

/** An IO that records what the CLI prints. */
export function captureIO(isTTY = false): IO & { stdout: string[]; stderr: string[]; text(): string } {
  const stdout: string[] = []
  const stderr: string[] = []
  return {
    stdout,
    stderr,
    isTTY,
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
    text: () => [...stdout, ...stderr].join('\n'),
  }
}
