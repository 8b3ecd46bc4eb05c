/** Where to reach a member: its id and the addresses it announced. */
export interface Peer {
  readonly id: string
  readonly addrs: readonly string[]
}

/** What the engine gives a transport to call when bytes arrive. */
export interface TransportHandlers {
  /**
   * A best-effort packet from an authenticated sender id. Never throws. Returns false when the
   * bytes did not decode (counted by the engine), so that a transport can reset the stream that
   * carried them.
   */
  onPacket(from: string, bytes: Uint8Array): boolean
  /** A push-pull request; resolves to the response bytes. Rejects to refuse (the requester sees an error). */
  onRequest(from: string, bytes: Uint8Array): Promise<Uint8Array>
  /** A report request (see Transport.fetch); resolves to the body, or no bytes. Rejects to refuse. */
  onFetch?(from: string, bytes: Uint8Array): Promise<Uint8Array>
}

/**
 * How the engine talks to others. Two paths, like memberlist: best-effort packets (losing one is
 * normal and the protocol copes) and a reliable request/response for full-state sync.
 * `from` in the handlers must be the sender's authenticated id: the engine trusts it as the
 * origin of acks, nacks, pings and ping-reqs.
 */
export interface Transport {
  /** Best effort: a rejection or a thrown error counts as a lost packet. */
  send(to: Peer, bytes: Uint8Array): void | Promise<void>
  /** Reliable request/response to a member, or to a bare address (a join seed). */
  request(to: Peer | string, bytes: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array>
  /** Called once by the engine's start(). */
  listen(handlers: TransportHandlers): void
  /**
   * Optional: a report request to a member on a reliable path of its own (reports are fetched on
   * demand, never gossiped), answered by the member's onFetch. The response is at most
   * `maxBytes` (maxReportBytes); a longer one rejects. Without it, this node fetches no reports.
   */
  fetch?(to: Peer, bytes: Uint8Array, options: { signal: AbortSignal; maxBytes: number }): Promise<Uint8Array>
  /**
   * Optional hint: true when sending to `id` now costs no new connection (one is open or being
   * opened). A transport whose every packet is free (UDP, a simulator without a connection
   * model) leaves it out. Gossip rounds and ping-req helpers prefer such members (see GossipLoop);
   * probes ignore it (every member in turn, or probe rings: SwimConfig.probeRings), so the
   * detection bounds, which rest on who probes whom, are unchanged.
   * Must be cheap (called a few times per gossip round) and must not throw.
   */
  connected?(id: string): boolean
  /**
   * Optional: when a packet just sent to `id` waits for a connection being opened (a dial and its
   * handshake), a promise that settles once the connection is open or has failed, whichever it
   * is; otherwise undefined. The prober starts a probe's clock only then (within
   * connectGraceMs), so that a slow set-up on our side does not count as the target's silence.
   * Must be cheap (called once per probe) and must not throw; the promise must settle.
   */
  opening?(id: string): Promise<unknown> | undefined
}

/** Signs this node's own claims (alive, leave, accusations, user events). */
export interface Signer {
  sign(data: Uint8Array): Uint8Array | Promise<Uint8Array>
}

/** Checks a claim's signature against the public key of the member id that made it. */
export interface Verifier {
  verify(signer: string, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>
}

/** For simulations and trusted networks: empty signatures, and every signature accepted. */
export const unsigned: Signer & Verifier = {
  sign: () => new Uint8Array(0),
  verify: () => true,
}
