/**
 * How the CLI keeps a node's name and tags in the member metadata: compact JSON
 * `{"n": name, "t": {key: value}}`. Metadata that is not this shape (another application's)
 * shows as no name and no tags, never as an error.
 */
export interface NodeInfo {
  name?: string
  tags: Record<string, string>
}

/**
 * The tag a worker-mode agent's progress bound adds while its main thread is stuck (its value
 * says why: 'progress'). `murmur members` shows such a member as degraded.
 */
export const DEGRADED_TAG = 'degraded'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodeInfo(info: NodeInfo): Uint8Array {
  const tags = Object.fromEntries(Object.entries(info.tags).sort(([a], [b]) => a.localeCompare(b)))
  return encoder.encode(JSON.stringify({ ...(info.name ? { n: info.name } : {}), t: tags }))
}

export function decodeInfo(metadata: Uint8Array): NodeInfo {
  if (metadata.byteLength === 0) return { tags: {} }
  try {
    const v = JSON.parse(decoder.decode(metadata)) as { n?: unknown; t?: unknown }
    const tags: Record<string, string> = {}
    if (v.t !== null && typeof v.t === 'object') {
      for (const [k, val] of Object.entries(v.t)) if (typeof val === 'string') tags[k] = val
    }
    return { ...(typeof v.n === 'string' ? { name: v.n } : {}), tags }
  } catch {
    return { tags: {} }
  }
}
