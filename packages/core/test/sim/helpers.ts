import type { ConfigInput, MemberState, Membership } from '@murmur/core'
import { SimNetwork, type SimOptions } from '@murmur/core/testing'

/** Starts n nodes named n0..n{n-1}; all but n0 join through n0; runs until joins settle. */
export async function cluster(
  n: number,
  options: SimOptions & { config?: ConfigInput } = {},
): Promise<{ net: SimNetwork; nodes: Membership[] }> {
  const net = new SimNetwork({ seed: 1, latencyMs: 2, ...options })
  const nodes: Membership[] = []
  for (let i = 0; i < n; i++) nodes.push(net.addNode(`n${i}`))
  for (const m of nodes) await m.start()
  const joins = nodes.slice(1).map((m) => m.join(['n0']))
  await net.clock.run(500)
  await Promise.all(joins)
  return { net, nodes }
}

/** How `viewer` sees `id` (undefined when unknown). */
export function stateOf(viewer: Membership, id: string): MemberState | undefined {
  return viewer.member(id)?.state
}

/** True when every node in `nodes` sees every other as alive. */
export function converged(nodes: Membership[]): boolean {
  return nodes.every((v) => nodes.every((m) => stateOf(v, m.id) === 'alive'))
}

/** Runs the clock in steps until `pred` holds or `maxMs` of virtual time pass; returns the time it took. */
export async function runUntil(net: SimNetwork, pred: () => boolean, maxMs: number, stepMs = 50): Promise<number> {
  const start = net.clock.now()
  while (!pred()) {
    if (net.clock.now() - start >= maxMs) throw new Error(`condition not met within ${maxMs} virtual ms`)
    await net.clock.run(stepMs, 10)
  }
  return net.clock.now() - start
}
