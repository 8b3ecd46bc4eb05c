// The page of test/browser.spec.ts: a Murmur member in a browser tab (bundled by the test with
// esbuild). Its parameters come in the URL's hash as JSON: { join, config, name }. It keeps its
// member list in the DOM (#members, one <li data-id data-state> per member) and in
// window.murmur for the test to read, and leaves on pagehide.
import { type Member, MurmurTab } from '@murmur/libp2p/browser'

interface Params {
  join: string[]
  config: Record<string, unknown>
  name: string
}

interface PageState {
  id?: string
  members: Array<{ id: string; state: string; incarnation: number }>
  events: Array<{ event: string; id: string; at: number; reason?: unknown }>
  error?: string
  stats?: unknown
  /** The addresses in this tab's own alive claim. */
  addrs?: string[]
  /** Its connections now: to whom, over what, and whether relayed with limits. */
  connections?: Array<{ peer: string; addr: string; limited: boolean }>
}

const params = JSON.parse(decodeURIComponent(location.hash.slice(1))) as Params
const state: PageState = { members: [], events: [] }
;(globalThis as unknown as { murmur: PageState }).murmur = state

function render(members: Member[]): void {
  state.members = members.map((m) => ({ id: m.id, state: m.state, incarnation: m.incarnation }))
  const list = document.getElementById('members')
  if (list === null) return
  list.replaceChildren(
    ...members.map((m) => {
      const li = document.createElement('li')
      li.dataset.id = m.id
      li.dataset.state = m.state
      li.textContent = `${m.id.slice(-8)} ${m.state} inc ${m.incarnation}`
      return li
    }),
  )
}

async function main(): Promise<void> {
  const tab = new MurmurTab({
    join: params.join,
    membership: {
      profile: 'local',
      config: params.config,
      // the CLI's metadata shape (name and tags), so `murmur members` shows the tab's name
      metadata: new TextEncoder().encode(JSON.stringify({ n: params.name, t: { browser: 'chromium' } })),
    },
  })
  tab.addEventListener('member', (e) => {
    const m = e.detail.member
    state.events.push({ event: e.detail.event, id: m.id, at: Date.now(), reason: m.reason })
    render(tab.members())
  })
  await tab.start()
  state.id = tab.id
  document.title = `murmur ${params.name} ${tab.id}`
  render(tab.members())
  const sample = () => {
    state.stats = tab.stats()
    state.addrs = tab.node?.services.membership.self().addrs.slice()
    state.connections = tab.node?.getConnections().map((c) => ({
      peer: c.remotePeer.toString(),
      addr: c.remoteAddr.toString(),
      limited: c.limits !== undefined,
    }))
  }
  sample()
  setInterval(sample, 500)
}

main().catch((err: Error) => {
  state.error = `${err.name}: ${err.message}`
  console.error(err)
})
