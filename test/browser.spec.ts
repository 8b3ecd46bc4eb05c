import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import { suspicionTimeout } from '@murmur/core'
import type { Page } from 'playwright-core'
import {
  bundleMemberPage,
  findChromium,
  launchBrowser,
  type PageState,
  pageState,
  servePage,
  type TestBrowser,
} from './fixtures/browser.ts'
import { murmur } from './fixtures/cli.ts'
import { TEST_CONFIG, TestCluster } from './fixtures/cluster.ts'

const AGENTS = 3
const PROBE = TEST_CONFIG.probeIntervalMs!
/** local profile: suspicionMult 3, suspicionMaxTimeoutMult 6; 5 members at most. */
const DEAD_BOUND = 6 * suspicionTimeout(3, AGENTS + 2, PROBE) + 8 * PROBE
const JOIN_TIMEOUT = 30_000

/** The WebSockets address of an agent (what a browser dials). */
function wsAddr(addrs: string[]): string {
  const ws = addrs.find((a) => a.includes('/ws/'))
  assert.ok(ws, `the agent listens on WebSockets: ${addrs.join(' ')}`)
  return ws
}

describe('integration: a browser tab as a member (real Chromium)', function () {
  this.timeout(180_000)
  const chromium = findChromium()
  let cluster: TestCluster | undefined
  let browser: TestBrowser | undefined
  let server: Server | undefined

  before(function () {
    if (chromium === undefined) {
      console.log(
        '      skipped: no chromium found (apt-get install chromium, or set MURMUR_CHROMIUM); .ci/run installs it',
      )
      this.skip()
    }
  })

  afterEach(async () => {
    if (browser?.pid !== undefined) {
      try {
        process.kill(browser.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    await browser?.browser.close().catch(() => {})
    browser = undefined
    server?.closeAllConnections()
    server?.close()
    server = undefined
    await cluster?.teardown()
    cluster = undefined
  })

  it('pages join 3 agents through WebSockets and relays; deaths, leaves and crashes are seen both ways', async () => {
    const bundling = bundleMemberPage()
    cluster = await TestCluster.start(AGENTS, {
      args: (i) => ['--listen', '/ip4/127.0.0.1/tcp/0/ws', ...(i === 0 ? ['--ui'] : [])],
    })
    const c = cluster
    await c.waitFor(() => c.converged(), JOIN_TIMEOUT, 'the agents to converge')
    const page = await servePage(await bundling)
    server = page.server
    browser = await launchBrowser(chromium!)
    const b = browser
    const params = (name: string) =>
      encodeURIComponent(JSON.stringify({ join: [wsAddr(c.agents[0].addrs)], config: TEST_CONFIG, name }))

    const open = async (name: string): Promise<{ page: Page; id: string }> => {
      const p = await b.context.newPage()
      p.on('pageerror', (err) => console.log(`      [${name}] page error: ${err.message}`))
      await p.goto(`${page.url}#${params(name)}`)
      const deadline = Date.now() + JOIN_TIMEOUT
      let s: PageState = await pageState(p)
      while (s.id === undefined && s.error === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100))
        s = await pageState(p)
      }
      assert.equal(s.error, undefined, `${name} joined`)
      assert.ok(s.id, `${name} joined within ${JOIN_TIMEOUT} ms`)
      return { page: p, id: s.id }
    }
    const stateIn = async (p: Page, id: string) => (await pageState(p)).members.find((m) => m.id === id)?.state
    const waitPage = async (p: Page, pred: (s: PageState) => boolean, ms: number, what: string) => {
      const start = Date.now()
      for (;;) {
        const s = await pageState(p)
        if (pred(s)) return Date.now() - start
        if (Date.now() - start > ms) {
          throw new Error(`timed out after ${ms} ms waiting for ${what}; page sees ${JSON.stringify(s.members)}`)
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    const agentsSee = (id: string, state: string, agents = c.agents) =>
      agents.every((a) => c.views.get(a.id)?.get(id)?.state === state)

    // 1. a page joins; the agents see it alive, `murmur members` included; it sees all four
    const tab1 = await open('tab-1')
    await c.waitFor(() => agentsSee(tab1.id, 'alive'), JOIN_TIMEOUT, 'every agent to see tab-1 alive')
    const members = await murmur(['members', '--json', '--api', c.agents[1].api])
    assert.equal(members.code, 0, members.stderr)
    const listed = (JSON.parse(members.stdout) as Array<{ id: string; state: string; addrs: string[] }>).find(
      (m) => m.id === tab1.id,
    )
    assert.equal(listed?.state, 'alive', `murmur members shows the tab alive: ${members.stdout}`)
    const all = [...c.agents.map((a) => a.id), tab1.id]
    await waitPage(
      tab1.page,
      (s) => all.every((id) => s.members.find((m) => m.id === id)?.state === 'alive'),
      JOIN_TIMEOUT,
      'tab-1 to see all 4 alive',
    )
    const self = (await pageState(tab1.page)).members.find((m) => m.id === tab1.id)
    assert.ok(self, 'the tab is in its own list')
    // its signed claim announces relayed addresses only (a tab cannot be dialled)
    const claimed = listed.addrs
    assert.ok(claimed.length > 0 && claimed.every((a) => a.includes('/p2p-circuit/')), claimed.join(' '))

    // the web view of agent 0, in the same browser: every member, live
    const ui = await b.context.newPage()
    ui.on('pageerror', (err) => console.log(`      [ui] page error: ${err.message}`))
    await ui.setViewportSize({ width: 1200, height: 820 })
    await ui.goto(`http://${c.agents[0].api}/ui`)
    const uiRow = (id: string, state: string) => `#members tr[data-id="${id}"][data-state="${state}"]`
    for (const id of all) await ui.waitForSelector(uiRow(id, 'alive'), { timeout: JOIN_TIMEOUT })
    await ui.waitForSelector(`#ring g[data-id="${tab1.id}"][data-state="alive"]`, { timeout: 5000 })
    // a page of another origin (the tab's) gets nothing from the API: no members, no event stream
    const hostile = await tab1.page.evaluate(async (api) => {
      const read = await fetch(`http://${api}/v1/members`).then(
        (r) => `status ${r.status}`,
        (e: Error) => `refused: ${e.name}`,
      )
      const stream = await new Promise<string>((resolve) => {
        const es = new EventSource(`http://${api}/v1/events`)
        es.onopen = () => resolve('open')
        es.onerror = () => resolve('error')
        setTimeout(() => resolve('timeout'), 5000)
      })
      return { read, stream }
    }, c.agents[0].api)
    assert.deepEqual(hostile, { read: 'refused: TypeError', stream: 'error' }, 'another origin reads nothing')

    // 2. an agent SIGKILLed is declared dead in the page (and by the agents: the Node figure)
    const victim = c.agents[AGENTS - 1]
    const survivors = c.agents.slice(0, -1)
    const killedAt = Date.now()
    c.signal(victim, 'SIGKILL')
    const [pageMs, agentsMs] = await Promise.all([
      waitPage(tab1.page, (s) => s.members.find((m) => m.id === victim.id)?.state === 'dead', DEAD_BOUND, 'dead'),
      c.waitFor(() => agentsSee(victim.id, 'dead', survivors), DEAD_BOUND, 'the survivors to see the agent dead'),
    ])
    console.log(`      agent killed: dead in the page after ${pageMs} ms, at every agent after ${agentsMs} ms`)
    // the web view shows the death as it happens, with its explanation
    await ui.waitForSelector(uiRow(victim.id, 'dead'), { timeout: 5000 })
    await ui.waitForSelector(`#ring g[data-id="${victim.id}"][data-state="dead"]`, { timeout: 5000 })
    const why = await ui.textContent(`${uiRow(victim.id, 'dead')} td.why`)
    assert.match(why ?? '', /suspected by .*dead after/, 'the view explains the death')
    assert.ok(
      await ui.$(`#events li[data-event="member:dead"][data-id="${victim.id}"]`),
      'the death is in the event log',
    )
    if (process.env.MURMUR_SCREENSHOT) await ui.screenshot({ path: process.env.MURMUR_SCREENSHOT })
    assert.ok(Date.now() - killedAt < DEAD_BOUND + 1000)

    // 3. a second page joins: both pages see each other alive, through a relay or WebRTC
    const tab2 = await open('tab-2')
    await Promise.all([
      waitPage(tab1.page, (s) => s.members.some((m) => m.id === tab2.id && m.state === 'alive'), JOIN_TIMEOUT, '1->2'),
      waitPage(tab2.page, (s) => s.members.some((m) => m.id === tab1.id && m.state === 'alive'), JOIN_TIMEOUT, '2->1'),
      c.waitFor(() => agentsSee(tab2.id, 'alive', survivors), JOIN_TIMEOUT, 'the agents to see tab-2 alive'),
    ])
    // no false suspicion of either page while they probe each other for a few periods
    await new Promise((r) => setTimeout(r, 10 * PROBE))
    assert.equal(await stateIn(tab1.page, tab2.id), 'alive')
    assert.equal(await stateIn(tab2.page, tab1.id), 'alive')
    const tab2State = await pageState(tab2.page)
    const traffic = tab2State.stats?.transport
    const link = tab2State.connections?.filter((x) => x.peer === tab1.id) ?? []
    console.log(`      tab-2 to tab-1 over: ${link.map((x) => `${x.addr}${x.limited ? ' (limited)' : ''}`).join(', ')}`)
    assert.ok(link.length > 0, 'the two tabs are connected (through a relay or WebRTC)')

    // 4. closing a page is a leave (pagehide), seen by the agents and by the other page
    const closedAt = Date.now()
    await tab2.page.close({ runBeforeUnload: true })
    await c.waitFor(() => agentsSee(tab2.id, 'left', survivors), DEAD_BOUND, 'the agents to see tab-2 left')
    await waitPage(tab1.page, (s) => s.members.some((m) => m.id === tab2.id && m.state === 'left'), 5000, 'left')
    console.log(`      page closed: left at every agent after ${Date.now() - closedAt} ms`)

    // 5. killing the browser is a crash: the page is declared dead within the profile's bound
    assert.ok(b.pid !== undefined, 'the browser pid is known')
    const crashedAt = Date.now()
    process.kill(b.pid, 'SIGKILL')
    const crashMs = await c.waitFor(
      () => agentsSee(tab1.id, 'dead', survivors),
      DEAD_BOUND,
      'the agents to see the crashed tab dead',
    )
    console.log(
      `      browser killed: the tab dead at every agent after ${crashMs} ms (bound ${DEAD_BOUND} ms); ` +
        `tab-2 moved ${traffic?.bytesSent ?? '?'} B out, ${traffic?.bytesReceived ?? '?'} B in over its life`,
    )
    assert.ok(Date.now() - crashedAt <= DEAD_BOUND + 1000)
  })
})
