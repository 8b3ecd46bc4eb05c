import type { Explanation } from '@murmur/core'
import type { AgentEvent } from './model.ts'

/** Where output goes; tests pass their own. */
export interface IO {
  out(text: string): void
  err(text: string): void
  /** Colours and redraws only on a terminal. */
  isTTY: boolean
}

export const processIO: IO = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  isTTY: process.stdout.isTTY === true,
}

const COLORS: Record<string, number> = { alive: 32, suspect: 33, dead: 31, left: 90 }

export function paint(state: string, text: string, color: boolean): string {
  const c = COLORS[state]
  return color && c !== undefined ? `\x1b[${c}m${text}\x1b[0m` : text
}

/** `12D3KooWAbc…xyz` */
export function shortId(id: string): string {
  return id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
}

export function label(m: { id: string; name: string }): string {
  return m.name ? `${m.name} (${shortId(m.id)})` : shortId(m.id)
}

export function formatTags(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

/** Why, in words: who accused, which probes failed, who confirmed, how long it took. */
export function explain(reason: Explanation | null, names: (id: string) => string = shortId): string {
  if (reason === null) return ''
  const parts: string[] = [`suspected by ${names(reason.accuser)}`]
  if (reason.failedProbes.length > 0) {
    const probes = reason.failedProbes.map((p) =>
      p.via === 'direct'
        ? 'direct ping timed out'
        : `${p.outcome === 'nack' ? 'nack' : 'no answer'} via ${names(p.via)}`,
    )
    parts.push(`probes: ${probes.join(', ')}`)
  }
  if (reason.confirmations.length > 0) parts.push(`confirmed by ${reason.confirmations.map(names).join(', ')}`)
  if (reason.deadAt !== undefined) {
    const after = ((reason.deadAt - reason.suspectedAt) / 1000).toFixed(1)
    const how =
      reason.deadBy === 'suspicion-timeout' ? 'suspicion timeout' : `word from ${names(reason.declaredBy ?? '?')}`
    parts.push(`dead after ${after} s (${how})`)
  }
  return parts.join('; ')
}

/** One human line per event (`murmur monitor`, the demo). */
export function eventLine(e: AgentEvent, color: boolean, names?: (id: string) => string): string {
  const time = e.time.slice(11, 23)
  switch (e.event) {
    case 'ready':
      return `${time} ready      ${label(e)} on ${e.addrs.join(' ')} (api ${e.api})`
    case 'user-event':
      return `${time} user-event ${e.name} from ${shortId(e.origin)}: ${e.payload}`
    case 'leaving':
    case 'stopped':
      return `${time} ${e.event.padEnd(10)} ${shortId(e.id)}`
    case 'error':
      return `${time} error      ${e.code}: ${e.message}`
    default: {
      const kind = e.event.slice('member:'.length)
      const why = e.event === 'member:suspect' || e.event === 'member:dead' ? `  ${explain(e.reason, names)}` : ''
      const degraded = e.degraded === true && e.state === 'alive' ? ' (degraded)' : ''
      return `${time} ${paint(e.state, kind.padEnd(10), color)} ${label(e)} inc ${e.incarnation}${degraded}${why}`
    }
  }
}
