/**
 * The agent's web view (`murmur agent --ui`, served at GET /ui on the control API's port): the
 * cluster as this agent sees it, live. A ring of members coloured by state with our RTT to each,
 * their states over the last minutes, the table with each suspicion's explanation, and the event
 * log. It reads only: GET /v1/info, GET /v1/members, and the event stream GET /v1/events (SSE),
 * same-origin (see guard.ts: the only browser requests the API answers). One self-contained page,
 * no build step and nothing fetched from elsewhere.
 */
export const UI_PATH = '/ui'

const STYLE = `
  :root { --alive: #2e9d55; --suspect: #e0a100; --dead: #d23c3c; --left: #8a8f98; --bg: #f7f7f4; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: #222; }
  header { display: flex; gap: 1.5em; align-items: baseline; padding: .6em 1em; background: #222; color: #eee; }
  header h1 { font-size: 1.1em; margin: 0; }
  main { display: grid; grid-template-columns: 380px 1fr; gap: 1em; padding: 1em; }
  section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .6em .8em; min-width: 0; }
  h2 { font-size: .95em; margin: .1em 0 .5em; color: #555; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: .2em .5em; border-bottom: 1px solid #eee; vertical-align: top; }
  td.why { font-size: .85em; color: #555; }
  .state { font-weight: 600; }
  .alive { color: var(--alive); } .suspect { color: var(--suspect); } .dead { color: var(--dead); } .left { color: var(--left); }
  #events { list-style: none; margin: 0; padding: 0; max-height: 22em; overflow: auto; font-size: .85em; }
  #events li { padding: .15em 0; border-bottom: 1px solid #f0f0f0; }
  .wide { grid-column: 1 / -1; }
  #conn.down { color: #f66; }
  code { font-size: .9em; }
`

const SCRIPT = `
'use strict'
const COLORS = { alive: '#2e9d55', suspect: '#e0a100', dead: '#d23c3c', left: '#8a8f98' }
const WINDOW_MS = 5 * 60 * 1000
// the timeline's shortest span, and the margin before the page opened
const MIN_SPAN_MS = 30 * 1000
const LEAD_MS = 10 * 1000
const view = { self: '', members: new Map(), history: new Map(), events: [], openedAt: Date.now() }
const $ = (id) => document.getElementById(id)
const svgNs = 'http://www.w3.org/2000/svg'
const short = (id) => id.length > 10 ? '…' + id.slice(-8) : id
const nameOf = (id) => { const m = view.members.get(id); return m && m.name ? m.name : short(id) }
const el = (tag, attrs, text) => {
  const e = tag.startsWith('svg:') ? document.createElementNS(svgNs, tag.slice(4)) : document.createElement(tag)
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}

function explain(r) {
  if (!r) return ''
  const parts = ['suspected by ' + nameOf(r.accuser)]
  if (r.failedProbes && r.failedProbes.length > 0) {
    parts.push('probes: ' + r.failedProbes.map((p) => p.via === 'direct' ? 'direct ping timed out'
      : (p.outcome === 'nack' ? 'nack' : 'no answer') + ' via ' + nameOf(p.via)).join(', '))
  }
  if (r.confirmations && r.confirmations.length > 0) parts.push('confirmed by ' + r.confirmations.map(nameOf).join(', '))
  if (r.deadAt !== undefined) {
    const how = r.deadBy === 'suspicion-timeout' ? 'suspicion timeout' : 'word from ' + nameOf(r.declaredBy || '?')
    parts.push('dead after ' + ((r.deadAt - r.suspectedAt) / 1000).toFixed(1) + ' s (' + how + ')')
  }
  return parts.join('; ')
}

function track(m, at) {
  const h = view.history.get(m.id) || []
  if (h.length === 0 || h[h.length - 1].state !== m.state) h.push({ state: m.state, at })
  view.history.set(m.id, h)
}

function upsert(m, at) {
  const old = view.members.get(m.id)
  view.members.set(m.id, Object.assign({}, old, m))
  track(m, at)
}

function renderRing() {
  const svg = $('ring')
  svg.replaceChildren()
  const ids = [...view.members.keys()].filter((id) => id !== view.self)
  const R = 140
  svg.appendChild(el('svg:circle', { cx: 0, cy: 0, r: R, fill: 'none', stroke: '#ddd' }))
  ids.forEach((id, i) => {
    const m = view.members.get(id)
    const a = (2 * Math.PI * i) / Math.max(1, ids.length) - Math.PI / 2
    const x = Math.round(R * Math.cos(a)), y = Math.round(R * Math.sin(a))
    const color = COLORS[m.state] || '#999'
    svg.appendChild(el('svg:line', { x1: 0, y1: 0, x2: x, y2: y, stroke: color, 'stroke-dasharray': m.state === 'alive' ? '' : '4 4' }))
    if (m.rttMs !== null && m.rttMs !== undefined && m.state === 'alive') {
      svg.appendChild(el('svg:text', { x: x / 2, y: y / 2 - 4, 'font-size': 10, 'text-anchor': 'middle', fill: '#555' }, m.rttMs.toFixed(1) + ' ms'))
    }
    const g = el('svg:g', { class: 'member', 'data-id': id, 'data-state': m.state })
    g.appendChild(el('svg:circle', { cx: x, cy: y, r: 17, fill: color }))
    g.appendChild(el('svg:text', { x, y: y + 31, 'font-size': 11, 'text-anchor': 'middle' }, nameOf(id)))
    g.appendChild(el('svg:title', {}, id + ' ' + m.state))
    svg.appendChild(g)
  })
  const me = view.members.get(view.self)
  const g = el('svg:g', { class: 'member self', 'data-id': view.self, 'data-state': me ? me.state : 'alive' })
  g.appendChild(el('svg:circle', { cx: 0, cy: 0, r: 24, fill: '#222' }))
  g.appendChild(el('svg:text', { x: 0, y: 4, 'font-size': 11, 'text-anchor': 'middle', fill: '#fff' }, me && me.name ? me.name : 'self'))
  svg.appendChild(g)
}

function renderTable() {
  const rows = [...view.members.values()].sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id)).map((m) => {
    const tr = el('tr', { 'data-id': m.id, 'data-state': m.state })
    tr.appendChild(el('td', {}, m.name || ''))
    tr.appendChild(el('td', { title: m.id }, short(m.id)))
    tr.appendChild(el('td', { class: 'state ' + m.state }, m.state + (m.degraded ? ' (degraded)' : '')))
    tr.appendChild(el('td', {}, String(m.incarnation)))
    tr.appendChild(el('td', {}, m.id === view.self ? '' : m.rttMs === null || m.rttMs === undefined ? '-' : m.rttMs.toFixed(1) + ' ms'))
    tr.appendChild(el('td', {}, new Date(m.stateChangedAt).toLocaleTimeString()))
    tr.appendChild(el('td', { class: 'why' }, m.state === 'alive' ? '' : explain(m.reason)))
    return tr
  })
  $('members').querySelector('tbody').replaceChildren(...rows)
  const counts = { alive: 0, suspect: 0, dead: 0, left: 0 }
  for (const m of view.members.values()) counts[m.state]++
  $('counts').textContent = Object.entries(counts).map(([k, v]) => v + ' ' + k).join(' · ')
}

function renderTimeline() {
  const svg = $('timeline')
  const ids = [...view.members.keys()]
  const W = svg.clientWidth || 800, label = 110, rowH = 18, now = Date.now()
  // the last 5 minutes, or since the page opened (and a little before) when that is shorter
  const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - view.openedAt + LEAD_MS)), from = now - span
  svg.setAttribute('height', String(ids.length * rowH + 18))
  svg.replaceChildren()
  const x = (t) => label + ((Math.max(t, from) - from) / span) * (W - label - 4)
  ids.forEach((id, i) => {
    const y = i * rowH
    svg.appendChild(el('svg:text', { x: 0, y: y + 12, 'font-size': 11 }, nameOf(id)))
    const h = view.history.get(id) || []
    h.forEach((seg, k) => {
      const end = k + 1 < h.length ? h[k + 1].at : now
      if (end < from) return
      svg.appendChild(el('svg:rect', { x: x(seg.at), y: y + 2, width: Math.max(1, x(end) - x(seg.at)), height: rowH - 5, fill: COLORS[seg.state] || '#999' }))
    })
  })
  for (let k = 0; k <= 5; k++) {
    const ago = Math.round((span * (5 - k)) / 5000)
    svg.appendChild(el('svg:text', { x: x(from + (span * k) / 5) - (k === 5 ? 20 : 0), y: ids.length * rowH + 14, 'font-size': 10, fill: '#888' }, k === 5 ? 'now' : '-' + ago + ' s'))
  }
}

function renderEvents() {
  const items = view.events.slice(-200).reverse().map((e) => {
    const li = el('li', { 'data-event': e.event, 'data-id': e.id || '' })
    const what = e.event === 'user-event' ? 'user event ' + e.name + ' from ' + nameOf(e.origin) + ': ' + e.payload
      : e.event.replace('member:', '') + ' ' + nameOf(e.id) + (e.reason && e.state !== 'alive' ? ' - ' + explain(e.reason) : '')
    li.appendChild(el('code', {}, e.time.slice(11, 23) + ' '))
    li.appendChild(el('span', { class: e.state || '' }, what))
    return li
  })
  $('events').replaceChildren(...items)
}

function render() { renderRing(); renderTable(); renderTimeline(); renderEvents() }

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' })
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status)
  return r.json()
}

async function refresh() {
  const { members } = await getJson('/v1/members')
  const now = Date.now()
  for (const m of members) upsert(m, view.members.has(m.id) ? now : Date.parse(m.stateChangedAt))
  render()
}

async function start() {
  const info = await getJson('/v1/info')
  view.self = info.id
  $('self').textContent = (info.name || short(info.id)) + ' · ' + info.config.cluster + ' · api ' + info.api
  await refresh()
  const es = new EventSource('/v1/events')
  const kinds = ['member:join', 'member:update', 'member:suspect', 'member:alive', 'member:dead', 'member:leave', 'member:reap', 'user-event']
  for (const kind of kinds) {
    es.addEventListener(kind, (msg) => {
      const e = JSON.parse(msg.data)
      view.events.push(e)
      if (e.event === 'member:reap') { view.members.delete(e.id); view.history.delete(e.id) }
      else if (e.id && e.state) upsert(e, Date.parse(e.time))
      render()
    })
  }
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').className = '' }
  es.onerror = () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'down' }
  setInterval(() => refresh().catch(() => {}), 3000)
  setInterval(renderTimeline, 1000)
}

start().catch((err) => { $('conn').textContent = String(err); $('conn').className = 'down' })
`

/** The whole page. */
export function uiPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>murmur</title><style>${STYLE}</style></head>
<body>
<header><h1>murmur</h1><span id="self"></span><span id="counts"></span><span id="conn">connecting…</span></header>
<main>
<section><h2>The cluster from here (our RTT to each)</h2><svg id="ring" viewBox="-200 -200 400 400" width="350" height="350"></svg></section>
<section><h2>Members</h2><table id="members"><thead><tr><th>name</th><th>id</th><th>state</th><th>inc</th><th>rtt</th><th>since</th><th>why</th></tr></thead><tbody></tbody></table></section>
<section class="wide"><h2>States over time (up to 5 minutes)</h2><svg id="timeline" width="100%" height="40"></svg></section>
<section class="wide"><h2>Events (newest first)</h2><ol id="events"></ol></section>
</main>
<script>${SCRIPT}</script>
</body></html>
`
}
