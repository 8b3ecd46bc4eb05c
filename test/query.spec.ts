import assert from 'node:assert/strict'
import { murmur, type Run } from './fixtures/cli.ts'
import { TestCluster } from './fixtures/cluster.ts'

type Line = { event: string; from?: string; name?: string; payload?: string; answers?: number; acks?: number }

function lines(r: Run): Line[] {
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line)
}

function answers(r: Run): string[] {
  return lines(r)
    .filter((l) => l.event === 'answer')
    .map((l) => l.payload ?? '')
    .sort()
}

describe('integration: queries (murmur query, answered by each agent’s event handler)', function () {
  this.timeout(120_000)
  let cluster: TestCluster | undefined
  afterEach(async () => {
    await cluster?.teardown()
    cluster = undefined
  })

  it('one answer per agent; --node and --tag filter; the deadline is kept; acks with --ack', async () => {
    // each agent's handler reads the query from stdin and answers with its name and the payload
    // (other events' handler output would land in the agent's --json stdout: it prints nothing);
    // a query named "slow" makes every handler take 3 s, past a 1 s deadline
    const handler = (i: number) =>
      `[ "$MURMUR_EVENT" = query ] || exit 0; read line; case "$MURMUR_QUERY_NAME" in slow) sleep 3 ;; esac; printf 'agent-${i} %s' "$(echo "$line" | sed -n 's/.*"payload":"\\([^"]*\\)".*/\\1/p')"`
    cluster = await TestCluster.start(3, {
      args: (i) => ['--name', `agent-${i}`, '--tag', `role=${i === 1 ? 'db' : 'web'}`, '--event-handler', handler(i)],
    })
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const api = ['--api', c.agents[0].api, '--json']

    const all = await murmur(['query', 'who', 'hello', '--timeout', '3s', ...api])
    assert.equal(all.code, 0, all.stderr)
    assert.deepEqual(answers(all), ['agent-0 hello', 'agent-1 hello', 'agent-2 hello'])
    assert.deepEqual(lines(all).at(-1), { event: 'done', answers: 3, acks: 0 })
    const byName = lines(all).filter((l) => l.event === 'answer')
    assert.ok(
      byName.every((l) => l.payload?.startsWith(l.name ?? '?')),
      'each answer comes from the member it names',
    )
    assert.ok(all.ms >= 3000 && all.ms < 8000, `the query lasted its 3 s timeout (${all.ms} ms)`)

    const one = await murmur(['query', 'who', 'x', '--node', c.agents[2].id, '--timeout', '2s', ...api])
    assert.deepEqual(answers(one), ['agent-2 x'])

    const web = await murmur(['query', 'who', 'y', '--tag', 'role=w.b', '--timeout', '2s', '--ack', ...api])
    assert.deepEqual(answers(web), ['agent-0 y', 'agent-2 y'])
    assert.deepEqual(
      lines(web)
        .filter((l) => l.event === 'ack')
        .map((l) => l.from)
        .sort(),
      [c.agents[0].id, c.agents[2].id].sort(),
    )
    const none = await murmur(['query', 'who', 'z', '--tag', 'role=web-.*', '--timeout', '1s', ...api])
    assert.deepEqual(answers(none), [], 'the whole tag value must match')

    // handlers still running at the deadline are killed and answer nothing; the command ends on time
    const slow = await murmur(['query', 'slow', 's', '--timeout', '1s', ...api])
    assert.equal(slow.code, 0, slow.stderr)
    assert.deepEqual(answers(slow), [])
    assert.ok(slow.ms < 2900, `ended at its deadline, not when the handlers would have (${slow.ms} ms)`)
  })

  it('human output, and bad filters refused with a usage message', async () => {
    cluster = await TestCluster.start(2, {
      args: (i) => [
        '--name',
        `agent-${i}`,
        '--event-handler',
        `cat >/dev/null; if [ "$MURMUR_EVENT" = query ]; then printf 'I am agent-${i}'; fi`,
      ],
    })
    const c = cluster
    await c.waitFor(() => c.converged(), 30_000, 'convergence')
    const r = await murmur(['query', 'who', '--timeout', '1500ms', '--relay', '1', '--api', c.agents[1].api])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /answer from agent-0 \(12D3KooW\w+\): I am agent-0/)
    assert.match(r.stdout, /answer from agent-1 \(12D3KooW\w+\): I am agent-1/)
    assert.match(r.stdout, /2 answer\(s\), 0 ack\(s\)/)
    const bad = await murmur(['query', 'who', '--tag', 'role=(a)\\1', '--api', c.agents[1].api])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /not a regular expression Murmur runs/)
    const usage = await murmur(['query', 'who', '--tag', 'role', '--api', c.agents[1].api])
    assert.equal(usage.code, 2)
  })
})
