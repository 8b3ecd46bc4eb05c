import assert from 'node:assert/strict'
import { MAX_ADDRS_PER_SEED, resolveSeeds, type SeedResolver } from '../src/seeds.ts'

const ID = '12D3KooWGzBbnf2nW3QbVJrn2gX4WbrHGyFb1pYkZ3uXf9tzkKqq'
const OTHER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

/** A resolver whose answers the test changes between calls, and that counts its lookups. */
function fakeResolver(hosts: Record<string, string[]>, txt: Record<string, string[]> = {}) {
  const calls: string[] = []
  const resolver: SeedResolver = {
    lookup: async (host, family) => {
      calls.push(`lookup ${host} ${family}`)
      const all = hosts[host]
      if (all === undefined) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
      return all.filter((a) => family === 0 || (family === 6) === a.includes(':'))
    },
    txt: async (name) => {
      calls.push(`txt ${name}`)
      const records = txt[name]
      if (records === undefined) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
      return records
    },
  }
  return { resolver, calls, hosts, txt }
}

describe('resolveSeeds', () => {
  it('resolves /dns4, /dns6 and /dns names into one address per answer, keeping the rest of the multiaddr', async () => {
    const { resolver } = fakeResolver({ seed: ['10.0.0.1', '10.0.0.2', 'fd00::1'] })
    assert.deepEqual(await resolveSeeds([`/dns4/seed/tcp/7946/p2p/${ID}`], resolver), [
      `/ip4/10.0.0.1/tcp/7946/p2p/${ID}`,
      `/ip4/10.0.0.2/tcp/7946/p2p/${ID}`,
    ])
    assert.deepEqual(await resolveSeeds(['/dns6/seed/tcp/1'], resolver), ['/ip6/fd00::1/tcp/1'])
    assert.deepEqual(await resolveSeeds(['/dns/seed/tcp/1'], resolver), [
      '/ip4/10.0.0.1/tcp/1',
      '/ip4/10.0.0.2/tcp/1',
      '/ip6/fd00::1/tcp/1',
    ])
  })

  it('asks the resolver again on every call: a seed that moved is found on the next attempt', async () => {
    const f = fakeResolver({ seed: ['10.0.0.1'] })
    const seeds = [`/dns4/seed/tcp/7946/p2p/${ID}`]
    assert.deepEqual(await resolveSeeds(seeds, f.resolver), [`/ip4/10.0.0.1/tcp/7946/p2p/${ID}`])
    f.hosts.seed = ['10.0.0.9']
    assert.deepEqual(await resolveSeeds(seeds, f.resolver), [`/ip4/10.0.0.9/tcp/7946/p2p/${ID}`])
    delete f.hosts.seed // gone from DNS: the seed is kept as given (the join reports it)
    assert.deepEqual(await resolveSeeds(seeds, f.resolver), seeds)
    assert.equal(f.calls.length, 3)
  })

  it('follows /dnsaddr TXT records (recursively, bounded), keeping only those naming the seed peer', async () => {
    const f = fakeResolver(
      { b: ['10.0.0.3'] },
      {
        '_dnsaddr.boot': [
          `dnsaddr=/ip4/10.0.0.1/tcp/1/p2p/${ID}`,
          `dnsaddr=/ip4/10.0.0.2/tcp/1/p2p/${OTHER}`,
          `dnsaddr=/dnsaddr/nested/p2p/${ID}`,
          'v=spf1 -all',
        ],
        '_dnsaddr.nested': [`dnsaddr=/dns4/b/tcp/2/p2p/${ID}`],
        '_dnsaddr.loop': ['dnsaddr=/dnsaddr/loop'],
      },
    )
    assert.deepEqual(await resolveSeeds([`/dnsaddr/boot/p2p/${ID}`], f.resolver), [
      `/ip4/10.0.0.1/tcp/1/p2p/${ID}`,
      `/ip4/10.0.0.3/tcp/2/p2p/${ID}`,
    ])
    assert.equal((await resolveSeeds(['/dnsaddr/boot'], f.resolver)).length, 3)
    // a loop of records ends at the depth bound, and the seed is kept as given
    assert.deepEqual(await resolveSeeds(['/dnsaddr/loop'], f.resolver), ['/dnsaddr/loop'])
  })

  it('keeps /ip4 seeds as they are, removes duplicates and bounds the addresses of one name', async () => {
    const many = Array.from({ length: 20 }, (_, i) => `10.0.1.${i}`)
    const { resolver, calls } = fakeResolver({ big: many })
    const out = await resolveSeeds(['/ip4/1.2.3.4/tcp/1', '/ip4/1.2.3.4/tcp/1', '/dns4/big/tcp/1'], resolver)
    assert.equal(out[0], '/ip4/1.2.3.4/tcp/1')
    assert.equal(out.length, 1 + MAX_ADDRS_PER_SEED)
    assert.deepEqual(calls, ['lookup big 4'])
  })
})
