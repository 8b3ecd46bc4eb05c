import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { API_HEADERS_TIMEOUT_MS, API_REQUEST_TIMEOUT_MS } from '../constants.ts'
import type { AgentEvent, MemberJson } from '../model.ts'
import { matches } from '../model.ts'
import type { ReachabilityResult } from '../reachability.ts'
import { type GuardPolicy, guard, loopbackHosts, tokenDigest } from './guard.ts'
import { HttpError, readJson, send } from './http.ts'
import { type QueryRequest, type QueryStreamLike, streamQuery } from './query.ts'
import { serveUi, UI_PATH } from './ui.ts'

export { MAX_BODY_BYTES } from './http.ts'

/** What the control API can ask of a running agent. */
export interface AgentControl {
  self(): MemberJson
  members(): MemberJson[]
  join(addrs: string[]): Promise<number>
  /** Leaves gracefully, then the agent exits. */
  leave(): Promise<void>
  setTags(set: Record<string, string>, unset: string[]): Record<string, string>
  event(name: string, payload: string): Promise<void>
  /** Forgets a member held dead or left now; with `prune`, asks the cluster to as well (throws UnknownMemberError, MemberNotDeadError). */
  forceLeave(id: string, prune: boolean): Promise<{ id: string }>
  /** Pings every live member, each within `timeoutMs`: who answered (RTT) and who did not. */
  reachability(timeoutMs: number): Promise<ReachabilityResult[]>
  /** Starts a query (throws InvalidArgumentError or TooManyQueriesError); its answers until the deadline. */
  query(request: QueryRequest): QueryStreamLike
  info(): Record<string, unknown>
  metrics(): Promise<{ contentType: string; body: string }>
  subscribe(listener: (e: AgentEvent) => void): () => void
  /** Test-only fault injection; absent unless the agent runs with --test-faults. */
  faults?(f: Record<string, unknown>): void
}

export interface ApiServerOptions {
  /** When set, every request needs `Authorization: Bearer <token>` (like Serf's RPC auth key). */
  token?: string
  /** Serve the web view at GET /ui (`--ui`); its same-origin reads pass the guard. */
  ui?: boolean
}

/**
 * The agent's control API: JSON over HTTP on loopback. Errors are `{"error": {"code", "message"}}`
 * with a 4xx/5xx status; bad input never takes the agent down. Every request first passes
 * `guard()`: loopback Host for the bound port, no browser, the token when set, JSON bodies only.
 *
 * GET /v1/self · GET /v1/members?state=alive&tag=k=v · POST /v1/join {addrs} · POST /v1/leave ·
 * POST /v1/tags {set, unset} · POST /v1/event {name, payload} · GET /v1/info ·
 * POST /v1/force-leave {id, prune} · POST /v1/reachability {timeoutMs} ·
 * POST /v1/query {name, payload, nodes, tags, timeoutMs, ack, relay} (NDJSON answers, then done) ·
 * GET /v1/events (NDJSON; SSE with Accept: text/event-stream) · GET /metrics (Prometheus)
 */
export function createApiServer(
  agent: AgentControl,
  onError: (err: Error) => void,
  options: ApiServerOptions = {},
): Server {
  const policy: GuardPolicy = {
    hosts: new Set(),
    ui: options.ui === true,
    tokenDigest: options.token === undefined ? undefined : tokenDigest(options.token),
  }
  const server = createServer((req, res) => {
    handle(agent, policy, req, res).catch((err: Error) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'ERR_INTERNAL', err.message)
      if (!(err instanceof HttpError)) onError(err)
      if (res.headersSent) return void res.destroy()
      send(res, e.status, { error: { code: e.code, message: e.message } }, e.headers)
    })
  })
  // the Host check needs the port actually bound (the agent may ask for port 0)
  server.on('listening', () => {
    const address = server.address()
    policy.hosts =
      typeof address === 'object' && address !== null ? loopbackHosts((address as AddressInfo).port) : new Set()
  })
  server.headersTimeout = API_HEADERS_TIMEOUT_MS
  server.requestTimeout = API_REQUEST_TIMEOUT_MS
  return server
}

async function handle(agent: AgentControl, policy: GuardPolicy, req: IncomingMessage, res: ServerResponse) {
  guard(req, policy)
  if (policy.ui === true && req.method === 'GET' && new URL(req.url ?? '/', 'http://localhost').pathname === UI_PATH) {
    return serveUi(res)
  }
  return route(agent, req, res)
}

async function route(agent: AgentControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const key = `${req.method} ${url.pathname}`
  switch (key) {
    case 'GET /v1/self':
      return send(res, 200, agent.self())
    case 'GET /v1/members': {
      const state = url.searchParams.get('state') ?? undefined
      const tags = url.searchParams.getAll('tag').map((t) => {
        const at = t.indexOf('=')
        if (at <= 0) throw new HttpError(400, 'ERR_BAD_FILTER', `tag filter "${t}" must be key=value`)
        return [t.slice(0, at), t.slice(at + 1)] as [string, string]
      })
      if (state !== undefined && !['alive', 'suspect', 'dead', 'left'].includes(state)) {
        throw new HttpError(400, 'ERR_BAD_FILTER', `state must be alive, suspect, dead or left, not "${state}"`)
      }
      return send(res, 200, { members: agent.members().filter((m) => matches(m, state, tags)) })
    }
    case 'POST /v1/join': {
      const body = await readJson(req)
      const addrs = body.addrs
      if (!Array.isArray(addrs) || addrs.length === 0 || !addrs.every((a) => typeof a === 'string')) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', 'body must be {"addrs": ["/ip4/.../tcp/.../p2p/..."]}')
      }
      try {
        return send(res, 200, { joined: await agent.join(addrs as string[]) })
      } catch (err) {
        throw new HttpError(502, (err as { code?: string }).code ?? 'ERR_JOIN_FAILED', (err as Error).message)
      }
    }
    case 'POST /v1/leave':
      await readJson(req)
      await agent.leave()
      return send(res, 200, { left: true })
    case 'POST /v1/tags': {
      const body = await readJson(req)
      const set = body.set ?? {}
      const unset = body.unset ?? []
      const okSet = set !== null && typeof set === 'object' && Object.values(set).every((v) => typeof v === 'string')
      if (!okSet || !Array.isArray(unset) || !unset.every((k) => typeof k === 'string')) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', 'body must be {"set": {"k": "v"}, "unset": ["k"]}')
      }
      return send(res, 200, { tags: agent.setTags(set as Record<string, string>, unset as string[]) })
    }
    case 'POST /v1/event': {
      const body = await readJson(req)
      if (typeof body.name !== 'string' || (body.payload !== undefined && typeof body.payload !== 'string')) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', 'body must be {"name": "deploy", "payload": "optional text"}')
      }
      await agent.event(body.name, (body.payload as string | undefined) ?? '')
      return send(res, 200, { sent: true })
    }
    case 'POST /v1/force-leave': {
      const body = await readJson(req)
      if (
        typeof body.id !== 'string' ||
        body.id === '' ||
        (body.prune !== undefined && typeof body.prune !== 'boolean')
      ) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', 'body must be {"id": "<peer id, prefix or name>", "prune": true}')
      }
      try {
        const prune = body.prune !== false
        const { id } = await agent.forceLeave(body.id, prune)
        return send(res, 200, { id, prune })
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'ERR_UNKNOWN_MEMBER') throw new HttpError(404, code, (err as Error).message)
        if (code === 'ERR_MEMBER_NOT_DEAD' || code === 'ERR_INVALID_ARGUMENT')
          throw new HttpError(409, code, (err as Error).message)
        throw err
      }
    }
    case 'POST /v1/reachability': {
      const body = await readJson(req)
      const timeoutMs = body.timeoutMs ?? 1000
      if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 10_000) {
        throw new HttpError(400, 'ERR_BAD_REQUEST', 'body must be {"timeoutMs": 1 to 10000}')
      }
      return send(res, 200, { members: await agent.reachability(timeoutMs) })
    }
    case 'POST /v1/query':
      return streamQuery((q) => agent.query(q), req, res)
    case 'POST /v1/faults': {
      if (agent.faults === undefined)
        throw new HttpError(404, 'ERR_NOT_FOUND', 'fault injection is off (start the agent with --test-faults)')
      agent.faults(await readJson(req))
      return send(res, 200, { ok: true })
    }
    case 'GET /v1/info':
      return send(res, 200, agent.info())
    case 'GET /v1/events':
      return stream(agent, req, res)
    case 'GET /metrics': {
      const m = await agent.metrics()
      res.writeHead(200, { 'content-type': m.contentType })
      res.end(m.body)
      return
    }
    default:
      throw new HttpError(404, 'ERR_NOT_FOUND', `no route ${key}; see GET /v1/info, /v1/members, /v1/events, /metrics`)
  }
}

function stream(agent: AgentControl, req: IncomingMessage, res: ServerResponse): void {
  const sse = (req.headers.accept ?? '').includes('text/event-stream')
  res.writeHead(200, {
    'content-type': sse ? 'text/event-stream' : 'application/x-ndjson',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  res.flushHeaders()
  const unsubscribe = agent.subscribe((e) => {
    res.write(sse ? `event: ${e.event}\ndata: ${JSON.stringify(e)}\n\n` : `${JSON.stringify(e)}\n`)
  })
  const end = () => unsubscribe()
  req.on('close', end)
  res.on('close', end)
}
