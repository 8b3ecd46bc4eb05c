import type { Multiaddr } from '@multiformats/multiaddr'

/** True for a relayed address (`.../p2p-circuit/...`). */
export function isRelayed(ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.name === 'p2p-circuit')
}

/** True for a WebRTC address (`.../p2p-circuit/webrtc/...`). */
export function isWebRTC(ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.name === 'webrtc')
}

/**
 * What the tab announces: a claim carries at most maxAddrBytes (512) of addresses, and a relayed
 * address is ~150 characters. So: one relayed address per relay, through its WebSockets address
 * (browsers dial only that; agents dial it too, or reuse their connection to the relay), then
 * the WebRTC ones. A tab has no other address anyone could dial.
 */
export function relayedFirst(addrs: Multiaddr[]): Multiaddr[] {
  const relayOf = (ma: Multiaddr) => ma.getComponents().find((c) => c.name === 'p2p')?.value
  const onWs = (ma: Multiaddr) => ma.getComponents().some((c) => c.name === 'ws' || c.name === 'wss')
  const plain: Multiaddr[] = []
  const seen = new Set<string | undefined>()
  const relayed = addrs.filter(isRelayed)
  for (const ma of [...relayed.filter(onWs), ...relayed.filter((a) => !onWs(a))]) {
    if (isWebRTC(ma) || seen.has(relayOf(ma))) continue
    seen.add(relayOf(ma))
    plain.push(ma)
  }
  return [...plain, ...relayed.filter((a) => isWebRTC(a) && onWs(a))]
}
