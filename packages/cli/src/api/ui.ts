import { createHash } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { UI_PATH, uiPage } from '../ui/page.ts'

export { UI_PATH }

let cached: { html: string; csp: string } | undefined

/**
 * The page, with a Content-Security-Policy that allows its one inline script (by hash) and
 * same-origin requests only, and forbids framing it (clickjacking) and loading anything else.
 */
function page(): { html: string; csp: string } {
  if (cached !== undefined) return cached
  const html = uiPage()
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? ''
  const hash = createHash('sha256').update(script, 'utf8').digest('base64')
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${hash}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ')
  cached = { html, csp }
  return cached
}

export function serveUi(res: ServerResponse): void {
  const { html, csp } = page()
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
  })
  res.end(html)
}
