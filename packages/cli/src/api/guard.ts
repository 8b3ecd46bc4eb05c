import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { HttpError, MAX_BODY_BYTES, tooLarge } from './http.ts'

/**
 * Who may talk to the control API. Every request passes these checks, in this order, before any
 * route runs (the threat model is in the package README and SECURITY.md):
 *
 * 1. Host is the API's own loopback name and bound port, else 403 ERR_BAD_HOST. A DNS-rebinding
 *    page reaches 127.0.0.1 under its own name, so its requests carry `Host: evil.example`.
 * 2. No `Origin`, and `Sec-Fetch-Site` absent or `none`, else 403 ERR_BROWSER_ORIGIN: browsers
 *    send these on every cross-origin request and on every POST; the CLI, curl and Prometheus never do.
 *    One exception, only with `--ui`: the web view the agent serves itself reads UI_READS with
 *    GET, `Sec-Fetch-Site: same-origin` and no `Origin` (what Chrome and Firefox send for a
 *    same-origin fetch or EventSource). Sec-Fetch-* are forbidden headers: no page can forge them,
 *    and a page of any other origin (another port of localhost included) sends `same-site` or
 *    `cross-site`. The Host check (1) already holds, so the page is the API's own.
 * 3. With a token, `Authorization: Bearer <token>`, else 401 ERR_UNAUTHORIZED (constant-time compare).
 * 4. A request with a body (anything but GET/HEAD) declares `Content-Type: application/json`, else
 *    415 ERR_UNSUPPORTED_MEDIA_TYPE: the types a page may send without a CORS preflight
 *    (text/plain, form encodings) are all refused, so "simple requests" cannot act.
 */
export interface GuardPolicy {
  /** Accepted Host header values, lower case. Empty until the server listens: everything is refused. */
  hosts: ReadonlySet<string>
  /** Serve the web view: same-origin GETs of UI_READS are let through (see 2 above). */
  ui?: boolean
  /** SHA-256 of the bearer token; undefined: no token needed. */
  tokenDigest?: Buffer
}

/** `127.0.0.1:<port>`, `localhost:<port>`, `[::1]:<port>` (and the bare names on port 80, as clients omit it). */
export function loopbackHosts(port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]']
  return new Set([...names.map((n) => `${n}:${port}`), ...(port === 80 ? names : [])])
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

export function guard(req: IncomingMessage, policy: GuardPolicy): void {
  checkHost(req, policy)
  checkBrowser(req, policy)
  checkToken(req, policy)
  if (req.method !== 'GET' && req.method !== 'HEAD') checkBody(req)
}

function checkHost(req: IncomingMessage, policy: GuardPolicy): void {
  const host = req.headers.host?.toLowerCase()
  if (host === undefined || !policy.hosts.has(host)) {
    throw new HttpError(
      403,
      'ERR_BAD_HOST',
      `Host ${JSON.stringify(req.headers.host ?? '')} is not this API's loopback address; use one of ${[...policy.hosts].join(', ')}`,
    )
  }
}

/** What the web view reads: GET only, never an action. */
export const UI_READS: ReadonlySet<string> = new Set(['/ui', '/v1/info', '/v1/members', '/v1/events'])

/** A read by the agent's own web view: same-origin, no Origin, GET of UI_READS. */
function isUiRead(req: IncomingMessage, policy: GuardPolicy): boolean {
  if (policy.ui !== true || req.headers.origin !== undefined) return false
  if (req.headers['sec-fetch-site'] !== 'same-origin') return false
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  return UI_READS.has(new URL(req.url ?? '/', 'http://localhost').pathname)
}

function checkBrowser(req: IncomingMessage, policy: GuardPolicy): void {
  const site = req.headers['sec-fetch-site']
  if (isUiRead(req, policy)) return
  if (req.headers.origin !== undefined || (site !== undefined && site !== 'none')) {
    throw new HttpError(403, 'ERR_BROWSER_ORIGIN', 'requests from web pages are refused; use the murmur CLI or curl')
  }
}

function checkToken(req: IncomingMessage, policy: GuardPolicy): void {
  if (policy.tokenDigest === undefined) return
  const presented = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '')?.[1] ?? ''
  // digests have one length whatever was presented, so the comparison leaks neither content nor length
  if (!timingSafeEqual(tokenDigest(presented), policy.tokenDigest)) {
    throw new HttpError(
      401,
      'ERR_UNAUTHORIZED',
      'this agent needs its API token: pass --api-token-file <file> (or set MURMUR_API_TOKEN_FILE or MURMUR_API_TOKEN)',
      { 'www-authenticate': 'Bearer realm="murmur"' },
    )
  }
}

function checkBody(req: IncomingMessage): void {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) throw tooLarge()
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      `POST bodies must be sent with Content-Type: application/json, not ${JSON.stringify(req.headers['content-type'] ?? 'none')}`,
    )
  }
}
