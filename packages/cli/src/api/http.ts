import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** Largest request body; bigger ones get 413 without being read further. */
export const MAX_BODY_BYTES = 64 * 1024

/** A refusal the API answers as `{"error": {"code", "message"}}` with `status` (and `headers`). */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  readonly headers: OutgoingHttpHeaders
  constructor(status: number, code: string, message: string, headers: OutgoingHttpHeaders = {}) {
    super(message)
    this.name = 'HttpError'
    this.status = status
    this.code = code
    this.headers = headers
  }
}

export function send(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export function tooLarge(): HttpError {
  return new HttpError(413, 'ERR_BODY_TOO_LARGE', `body over ${MAX_BODY_BYTES} bytes`)
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > MAX_BODY_BYTES) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > MAX_BODY_BYTES) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new HttpError(400, 'ERR_BAD_JSON', `body is not JSON: ${(err as Error).message}`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'ERR_BAD_JSON', 'body must be a JSON object')
  }
  return value as Record<string, unknown>
}
