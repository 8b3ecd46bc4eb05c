import { Command, Option } from '@commander-js/extra-typings'
import { DEFAULTS, PROFILES, type Profile } from '@murmur/core'
import { EXIT } from '../errors.ts'
import {
  collect,
  parseApiAddress,
  parseDuration,
  parseMultiaddr,
  parseNonNegativeInt,
  parsePositiveInt,
  parseTag,
} from '../options.ts'
import type { IO } from '../output.ts'
import { apiOption, type Outcome } from './common.ts'

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/7946'

/**
 * Peer ids in `--allow`, checked in the action, not in an option parser: @libp2p/peer-id (and the
 * crypto under it) is loaded only by the agent, never by `murmur --help` or the client commands.
 */
async function parsePeerIds(command: Command, values: string[]): Promise<string[]> {
  if (values.length === 0) return values
  const { peerIdFromString } = await import('@libp2p/peer-id')
  return values.map((value) => {
    try {
      return peerIdFromString(value).toString()
    } catch {
      return command.error(
        `error: option '--allow <peer id>' argument '${value}' is invalid. "${value}" is not a libp2p peer id (e.g. 12D3KooW...; \`murmur info\` shows a node's)`,
        { exitCode: EXIT.usage, code: 'commander.invalidArgument' },
      )
    }
  })
}

export function makeAgentCommand(io: IO, outcome: Outcome) {
  return new Command('agent')
    .description('run one node until SIGINT/SIGTERM (then it leaves gracefully; a second signal exits at once)')
    .addOption(new Option('--name <name>', 'a human name for this node, shown by `members`').env('MURMUR_NAME'))
    .addOption(
      new Option(
        '--listen <multiaddr>',
        `address to listen on, repeatable: TCP, QUIC (/ip4/0.0.0.0/udp/7946/quic-v1) or WebSockets (.../tcp/7947/ws) (default: ${DEFAULT_LISTEN})`,
      ).argParser(collect(parseMultiaddr)),
    )
    .addOption(
      new Option('--join <multiaddr>', 'a member to join through, repeatable (with /p2p/<peer id>)').argParser(
        collect(parseMultiaddr),
      ),
    )
    .addOption(new Option('--retry-max <n>', 'join retries before giving up').default(3).argParser(parseNonNegativeInt))
    .addOption(
      new Option('--retry-interval <duration>', 'first wait between join retries, doubling each time')
        .default(1000, '1s')
        .argParser(parseDuration),
    )
    .addOption(
      new Option('--tag <key=value>', "a tag in this node's metadata, repeatable").argParser(collect(parseTag)),
    )
    .addOption(
      new Option('--profile <profile>', 'timing profile (memberlist lan, wan, local)')
        .choices(PROFILES)
        .default('lan' as Profile)
        .env('MURMUR_PROFILE'),
    )
    .addOption(
      new Option(
        '--cluster <name>',
        "the cluster's name: in every signature and protocol id, so clusters never merge by accident",
      )
        .default(DEFAULTS.cluster as string)
        .env('MURMUR_CLUSTER'),
    )
    .addOption(
      new Option(
        '--key-file <path>',
        'node identity; created with mode 0600 when missing, so restarts keep the peer id',
      ).env('MURMUR_KEY_FILE'),
    )
    .addOption(
      new Option('--psk-file <path>', 'libp2p private network key: only nodes with it can connect').env(
        'MURMUR_PSK_FILE',
      ),
    )
    .addOption(
      new Option('--allow <peer id>', 'admit only these peers, repeatable').argParser(collect((v: string) => v)),
    )
    .addOption(apiOption('where to serve the control API (loopback only; port 0 = any)'))
    .addOption(
      new Option(
        '--api-token-file <path>',
        'require this token (Authorization: Bearer) on every control API request; the file should be mode 0600',
      ).env('MURMUR_API_TOKEN_FILE'),
    )
    .addOption(new Option('--event-handler <command>', 'run `sh -c <command>` per event, the event as JSON on stdin'))
    .addOption(new Option('--snapshot <path>', 'remember known members in this file and rejoin them after a restart'))
    .addOption(
      new Option(
        '--report-file <path>',
        'a report too large to gossip (up to 64 KiB): members fetch it on demand, checked against its signed SHA-256',
      ),
    )
    .addOption(
      new Option('--config <file.json>', 'engine overrides as JSON, e.g. {"probeIntervalMs": 500}; see SwimConfig'),
    )
    .addOption(
      new Option(
        '--max-connections <n>',
        'connection budget: members to hold a connection to at once (each a Noise handshake); past it the least recently used are closed, and probes go round a fifth as many probe rings unless --config sets probeRings (default: one per member; README: Connections)',
      )
        .argParser(parsePositiveInt)
        .env('MURMUR_MAX_CONNECTIONS'),
    )
    .addOption(new Option('--json', 'print one JSON object per line: `ready`, then every event'))
    .addOption(
      new Option(
        '--worker',
        'run libp2p and the engine on a worker thread: a blocked main thread (control API, event output) no longer stops heartbeats; costs a second V8 isolate (see README)',
      ),
    )
    .addOption(
      new Option(
        '--progress-timeout <duration>',
        'progress bound (implies --worker): when the main thread makes no progress this long, the node is marked degraded (tag degraded=progress) until it does, or leaves (--progress-action)',
      ).argParser(parseDuration),
    )
    .addOption(
      new Option('--progress-action <action>', 'what the progress bound does')
        .choices(['degrade', 'leave'])
        .default('degrade'),
    )
    .addOption(
      new Option(
        '--ui',
        'serve a live web view of the cluster at http://<api>/ui (read-only; not with --api-token-file)',
      ).env('MURMUR_UI'),
    )
    .addOption(
      new Option(
        '--relay',
        'serve browsers as a circuit relay (default: on when a --listen address is WebSockets, e.g. /ip4/0.0.0.0/tcp/7947/ws)',
      ),
    )
    .addOption(new Option('--no-relay', 'do not relay for browsers, even with a WebSockets --listen address'))
    .addOption(
      new Option(
        '--test-faults',
        'enable POST /v1/faults (loss, partitions, a blocked event loop) for tests',
      ).hideHelp(),
    )
    .addHelpText(
      'after',
      `\nTimings come from the profile (lan: probe every ${DEFAULTS.probeIntervalMs} ms, timeout ${DEFAULTS.probeTimeoutMs} ms, ${DEFAULTS.indirectChecks} indirect checks).`,
    )
    .action(async (o, command) => {
      const allow = await parsePeerIds(command as unknown as Command, o.allow ?? [])
      if (o.ui === true && o.apiTokenFile !== undefined) {
        // the page cannot send the token (EventSource sets no headers), and without it anyone local could read
        command.error('error: --ui cannot be used with --api-token-file (the web view cannot present the token)', {
          exitCode: EXIT.usage,
          code: 'commander.conflictingOption',
        })
      }
      // the agent's modules (libp2p and all under it) load here, not for the other commands
      const { runAgent } = await import('../agent.ts')
      outcome.exitCode = await runAgent(
        {
          name: o.name,
          listen: o.listen ?? [DEFAULT_LISTEN],
          join: o.join ?? [],
          retryMax: o.retryMax,
          retryIntervalMs: o.retryInterval,
          tags: o.tag ?? [],
          profile: o.profile as Profile,
          cluster: o.cluster,
          keyFile: o.keyFile,
          pskFile: o.pskFile,
          allow,
          api: parseApiAddress(o.api),
          apiTokenFile: o.apiTokenFile,
          eventHandler: o.eventHandler,
          snapshot: o.snapshot,
          reportFile: o.reportFile,
          json: o.json === true,
          testFaults: o.testFaults === true,
          configFile: o.config,
          maxConnections: o.maxConnections,
          worker: o.worker === true || o.progressTimeout !== undefined,
          progressTimeoutMs: o.progressTimeout,
          progressAction: o.progressAction as 'degrade' | 'leave',
          ui: o.ui === true,
          relay: o.relay,
        },
        io,
      )
    })
}
