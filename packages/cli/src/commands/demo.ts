import { Command, InvalidArgumentError, Option } from '@commander-js/extra-typings'
import { PROFILES, type Profile } from '@murmur/core'
import { runDemo } from '../demo.ts'
import type { IO } from '../output.ts'
import type { Outcome } from './common.ts'

function parseNodes(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 3 || n > 20) {
    throw new InvalidArgumentError(
      `"${value}" must be a whole number from 3 to 20 (one is killed; the others must agree)`,
    )
  }
  return n
}

export function makeDemoCommand(io: IO, outcome: Outcome, signal: AbortSignal) {
  return new Command('demo')
    .description(
      'start a real local cluster, kill a node, watch it detected and explained, restart it, watch it rejoin',
    )
    .addOption(new Option('--nodes <n>', 'agents to start (3-20)').default(5).argParser(parseNodes))
    .addOption(new Option('--profile <profile>', 'timing profile').choices(PROFILES).default('local' as Profile))
    .addOption(new Option('--keep', 'keep the cluster up at the end, for poking with the other commands, until Ctrl-C'))
    .action(async (o) => {
      outcome.exitCode = await runDemo(
        { nodes: o.nodes, profile: o.profile as Profile, keep: o.keep === true, signal },
        io,
      )
    })
}
