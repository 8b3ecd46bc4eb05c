/**
 * Seeds given by DNS name (`/dns4/...`, `/dns6/...`, `/dns/...`, `/dnsaddr/...`), resolved afresh
 * on every join attempt: a seed that moved (a new pod, a new IP behind the name) is found on the
 * next retry, with no answer cached across attempts. libp2p would resolve them too when it dials
 * (TCP resolves /dns4 names itself; /dnsaddr goes through libp2p's resolver, which caches answers
 * for their TTL), so resolving them here changes when, not whether, they are resolved.
 */
import { promises as dns } from 'node:dns'

/** How a seed's names are looked up; tests inject their own. */
export interface SeedResolver {
  /** The addresses of a host name: IPv4 (4), IPv6 (6) or both (0). */
  lookup(host: string, family: 0 | 4 | 6): Promise<string[]>
  /** The TXT records of a name, each joined into one string. */
  txt(name: string): Promise<string[]>
}

/** The system's resolver: getaddrinfo for names (as a dial would), a fresh Resolver for TXT records. */
export const systemResolver: SeedResolver = {
  async lookup(host, family) {
    const all = await dns.lookup(host, { all: true, family })
    return all.map((a) => a.address)
  },
  async txt(name) {
    const records = await new dns.Resolver().resolveTxt(name)
    return records.map((chunks) => chunks.join(''))
  },
}

/** /dnsaddr indirections followed at most (a loop of TXT records ends here). */
export const MAX_DNSADDR_DEPTH = 4
/** Addresses one seed may resolve to, at most (each one is a push-pull on join). */
export const MAX_ADDRS_PER_SEED = 8

/**
 * Each seed with its DNS names resolved now: `/dns4/h/tcp/p/p2p/id` becomes one
 * `/ip4/a/tcp/p/p2p/id` per address of h (`/dns6` → `/ip6`, `/dns` → both); `/dnsaddr/h` becomes
 * the multiaddrs of h's `_dnsaddr` TXT records (followed recursively, those naming another peer
 * than the seed's /p2p/ dropped). Other seeds are kept as they are, and so is a seed whose name
 * does not resolve (the join then reports it). Nothing is cached: call it before every attempt.
 */
export async function resolveSeeds(
  seeds: readonly string[],
  resolver: SeedResolver = systemResolver,
): Promise<string[]> {
  const out: string[] = []
  for (const seed of seeds) {
    let resolved: string[]
    try {
      resolved = (await resolveOne(seed, resolver, 0)).slice(0, MAX_ADDRS_PER_SEED)
    } catch {
      resolved = []
    }
    for (const a of resolved.length > 0 ? resolved : [seed]) if (!out.includes(a)) out.push(a)
  }
  return out
}

async function resolveOne(addr: string, resolver: SeedResolver, depth: number): Promise<string[]> {
  const parts = addr.split('/') // ['', proto, value, ...rest]
  const [, proto, host] = parts
  const rest = parts.slice(3).join('/')
  const tail = rest === '' ? '' : `/${rest}`
  switch (proto) {
    case 'dns4':
      return (await resolver.lookup(host, 4)).map((ip) => `/ip4/${ip}${tail}`)
    case 'dns6':
      return (await resolver.lookup(host, 6)).map((ip) => `/ip6/${ip}${tail}`)
    case 'dns':
      return (await resolver.lookup(host, 0)).map((ip) => `/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}${tail}`)
    case 'dnsaddr': {
      if (depth >= MAX_DNSADDR_DEPTH) return []
      const peer = /\/p2p\/([^/]+)$/.exec(addr)?.[1]
      const found: string[] = []
      for (const record of await resolver.txt(`_dnsaddr.${host}`)) {
        if (!record.startsWith('dnsaddr=/')) continue
        const target = record.slice('dnsaddr='.length)
        if (peer !== undefined && !target.endsWith(`/p2p/${peer}`)) continue
        for (const a of await resolveOne(target, resolver, depth + 1).catch(() => [])) {
          if (found.length < MAX_ADDRS_PER_SEED && !found.includes(a)) found.push(a)
        }
      }
      return found
    }
    default:
      return [addr]
  }
}
