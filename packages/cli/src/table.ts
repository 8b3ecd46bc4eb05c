/**
 * The `murmur members` table, apart from output.ts: cli-table3 (and the string-width and colour
 * packages under it) is loaded only by the command that prints a table, not by every command
 * that imports output.ts, `murmur agent` included.
 */
import Table from 'cli-table3'
import type { MemberJson } from './model.ts'
import { formatTags, paint, shortId } from './output.ts'

/** The `murmur members` table. */
export function membersTable(members: MemberJson[], color: boolean): string {
  const table = new Table({
    head: ['ID', 'NAME', 'ADDRESS', 'STATE', 'INC', 'TAGS', 'RTT'],
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
    chars: color
      ? {}
      : {
          top: '',
          'top-mid': '',
          'top-left': '',
          'top-right': '',
          bottom: '',
          'bottom-mid': '',
          'bottom-left': '',
          'bottom-right': '',
          left: '',
          'left-mid': '',
          mid: '',
          'mid-mid': '',
          right: '',
          'right-mid': '',
          middle: '  ',
        },
  })
  for (const m of members) {
    table.push([
      shortId(m.id),
      m.name || '-',
      m.addrs[0] ?? '-',
      paint(m.state, m.degraded && m.state === 'alive' ? 'alive, degraded' : m.state, color),
      String(m.incarnation),
      formatTags(m.tags) || '-',
      m.rttMs === null ? '-' : `${m.rttMs} ms`,
    ])
  }
  return table.toString()
}
