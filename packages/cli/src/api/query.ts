import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError, readJson } from './http.ts'

/** A query as POST /v1/query takes it. */
export interface QueryRequest {
  name: string
  /** Text, sent as UTF-8. */
  payload: string
  /** Only these members (peer ids) answer. */
  nodes: string[]
  /** `key=regexp`: only members whose tag matches the whole regexp answer. */
  tags: string[]
  /** @default the engine's (queryTimeoutMult) */
  timeoutMs?: number
  /** Members ack on receipt too. */
  ack: boolean
  /** Answers also travel through this many random members. */
  relay: number
}

/** One line of POST /v1/query's NDJSON answer stream. */
export type QueryLine =
  | { event: 'ack'; from: string; name: string }
  | { event: 'answer'; from: string; name: string; payload: string }
  | { event: 'done'; answers: number; acks: number }
  | { event: 'error'; code: string; message: string }

/** A query in flight, as the agent hands it to the API. */
export interface QueryStreamLike extends AsyncIterable<Extract<QueryLine, { event: 'ack' | 'answer' }>> {
  cancel(): void
}

const USAGE =
  'body must be {"name": "load", "payload": "optional text", "nodes": ["12D3KooW..."], "tags": ["role=web.*"], "timeoutMs": 5000, "ack": false, "relay": 0}'

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string')
}

/** Reads and checks the body of POST /v1/query; 400 with the expected shape otherwise. */
export async function readQuery(req: IncomingMessage): Promise<QueryRequest> {
  const b = await readJson(req)
  const ok =
    typeof b.name === 'string' &&
    (b.payload === undefined || typeof b.payload === 'string') &&
    (b.nodes === undefined || strings(b.nodes)) &&
    (b.tags === undefined || strings(b.tags)) &&
    (b.timeoutMs === undefined || typeof b.timeoutMs === 'number') &&
    (b.ack === undefined || typeof b.ack === 'boolean') &&
    (b.relay === undefined || typeof b.relay === 'number')
  if (!ok) throw new HttpError(400, 'ERR_BAD_REQUEST', USAGE)
  return {
    name: b.name as string,
    payload: (b.payload as string | undefined) ?? '',
    nodes: (b.nodes as string[] | undefined) ?? [],
    tags: (b.tags as string[] | undefined) ?? [],
    timeoutMs: b.timeoutMs as number | undefined,
    ack: b.ack === true,
    relay: (b.relay as number | undefined) ?? 0,
  }
}

/**
 * Streams a query's answers as NDJSON until its deadline, then a `done` line with the counts; a
 * client that hangs up cancels the query. Refusals before the first answer are plain API errors
 * (400 bounds, 429 too many queries in flight).
 */
export async function streamQuery(
  start: (q: QueryRequest) => QueryStreamLike,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const request = await readQuery(req)
  let q: QueryStreamLike
  try {
    q = start(request)
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.name === 'TooManyQueriesError') throw new HttpError(429, e.code ?? 'ERR_TOO_MANY_QUERIES', e.message)
    if (e.name === 'InvalidArgumentError') throw new HttpError(400, e.code ?? 'ERR_INVALID_ARGUMENT', e.message)
    throw err
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' })
  res.flushHeaders()
  res.on('close', () => q.cancel())
  let answers = 0
  let acks = 0
  const line = (l: QueryLine) => res.write(`${JSON.stringify(l)}\n`)
  try {
    for await (const a of q) {
      if (a.event === 'ack') acks++
      else answers++
      line(a)
    }
    line({ event: 'done', answers, acks })
  } catch (err) {
    const e = err as Error & { code?: string }
    line({ event: 'error', code: e.code ?? 'ERR_QUERY', message: e.message })
  }
  res.end()
}
