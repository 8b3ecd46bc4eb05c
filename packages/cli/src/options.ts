import { InvalidArgumentError } from '@commander-js/extra-typings'
import { multiaddr } from '@multiformats/multiaddr'

/** Commander parsers: each throws InvalidArgumentError with what is wrong and what is expected. */

export function parseMultiaddr(value: string): string {
  try {
    return multiaddr(value).toString()
  } catch (err) {
    throw new InvalidArgumentError(
      `"${value}" is not a multiaddr (${(err as Error).message}); expected e.g. /ip4/127.0.0.1/tcp/7946`,
    )
  }
}

export function collect<T>(parse: (v: string) => T): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => [...(previous ?? []), parse(value)]
}

const TAG_KEY = /^[A-Za-z0-9_.:-]{1,64}$/

/** `k=v` → [k, v]. Keys: letters, digits, `_ . : -`, 1-64 characters. */
export function parseTag(value: string): [string, string] {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`"${value}" is not a tag; expected key=value, e.g. role=web`)
  const key = value.slice(0, at)
  if (!TAG_KEY.test(key)) {
    throw new InvalidArgumentError(`tag key "${key}" must be 1-64 letters, digits, '_', '.', ':' or '-'`)
  }
  return [key, value.slice(at + 1)]
}

export function parseTagKey(value: string): string {
  if (!TAG_KEY.test(value)) {
    throw new InvalidArgumentError(`tag key "${value}" must be 1-64 letters, digits, '_', '.', ':' or '-'`)
  }
  return value
}

export function parsePositiveInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`)
  }
  return n
}

export function parseNonNegativeInt(value: string): number {
  if (value === '0') return 0
  return parsePositiveInt(value)
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `500ms`, `2s`, `1m`, `1h`, or a bare number of milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim())
  if (m === null) throw new InvalidArgumentError(`"${value}" is not a duration; expected e.g. 500ms, 2s, 1m`)
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms'])
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** `host:port` for the control API; loopback hosts only (it is the agent's admin interface; the token is optional). */
export function parseApiAddress(value: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value)
  if (m === null) throw new InvalidArgumentError(`"${value}" is not host:port, e.g. 127.0.0.1:7373`)
  const host = m[1]
  const port = Number(m[2])
  if (port > 65535) throw new InvalidArgumentError(`port ${port} is out of range (0-65535)`)
  if (!LOOPBACK.has(host)) {
    throw new InvalidArgumentError(
      `the control API listens on loopback only (it can stop the agent); use 127.0.0.1 or [::1], not ${host}`,
    )
  }
  return { host: host.replace(/^\[|\]$/g, ''), port }
}

export function parseRate(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError(`"${value}" is not a fraction between 0 and 1`)
  }
  return n
}
