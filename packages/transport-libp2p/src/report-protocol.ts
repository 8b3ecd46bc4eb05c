import type { ComponentLogger, Connection, Logger, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Peer } from '@murmur/core'
import type { MembershipComponents } from './index.ts'
import { dialAddrs, readFrame, writeFrame } from './stream-utils.ts'

/** A report request is a digest and a little framing: anything longer is not one. */
const MAX_REQUEST_BYTES = 256
/** Report streams a peer may have open to us at once, per connection (the engine bounds its own fetches). */
const MAX_INBOUND_REPORT_STREAMS = 2
const MAX_OUTBOUND_REPORT_STREAMS = 4

export type ReportProtocolComponents = Pick<MembershipComponents, 'registrar' | 'connectionManager'> & {
  logger: ComponentLogger
}

/**
 * Reports (metadata too large to gossip) over their own libp2p protocol, `${prefix}/report/1.0.0`:
 * one request frame (the engine's, naming a digest) and one response frame (the body, at most
 * maxReportBytes) per fresh stream. The engine decides what to serve (to live members, within its
 * own rate limits) and checks every body it fetches against the digest its owner signed; this
 * only carries bytes, bounds their size and time, and honours the allow-list.
 */
export class ReportProtocol {
  readonly protocol: string
  private readonly log: Logger
  private serve: ((from: string, bytes: Uint8Array) => Promise<Uint8Array>) | undefined
  private started = false

  constructor(
    private readonly components: ReportProtocolComponents,
    prefix: string,
    private readonly init: { timeoutMs: number; maxReportBytes: number; allowed: (id: string) => boolean },
  ) {
    this.protocol = `${prefix}/report/1.0.0`
    this.log = components.logger.forComponent('murmur:report')
  }

  /** What answers report requests (the engine's onFetch). */
  listen(serve: (from: string, bytes: Uint8Array) => Promise<Uint8Array>): void {
    this.serve = serve
  }

  async start(): Promise<void> {
    if (this.started) return
    await this.components.registrar.handle(this.protocol, (s, c) => void this.onStream(s, c), {
      maxInboundStreams: MAX_INBOUND_REPORT_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_REPORT_STREAMS,
      runOnLimitedConnection: true,
    })
    this.started = true
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    try {
      await this.components.registrar.unhandle(this.protocol)
    } catch (err) {
      this.log.error('could not unhandle %s - %e', this.protocol, err)
    }
  }

  /** One report request to a member; resolves to its answer (at most `maxBytes`). */
  async fetch(to: Peer, bytes: Uint8Array, options: { signal: AbortSignal; maxBytes: number }): Promise<Uint8Array> {
    if (!this.started) throw new Error('the report protocol is stopped')
    if (!this.init.allowed(to.id)) throw new Error(`${to.id} is not on the allow-list`)
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(this.init.timeoutMs)])
    const connection = await this.connect(to, signal)
    const stream = await connection.newStream(this.protocol, {
      signal,
      maxOutboundStreams: MAX_OUTBOUND_REPORT_STREAMS,
      runOnLimitedConnection: true,
    })
    try {
      await writeFrame(stream, bytes, signal)
      await stream.close({ signal })
      return await readFrame(stream, Math.min(options.maxBytes, this.init.maxReportBytes), signal)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private async connect(to: Peer, signal: AbortSignal): Promise<Connection> {
    const { connectionManager } = this.components
    const peerId = peerIdFromString(to.id)
    const open = connectionManager.getConnections(peerId).find((c) => c.status === 'open')
    if (open !== undefined) return open
    const addrs = dialAddrs(to)
    return connectionManager.openConnection(addrs.length > 0 ? addrs : peerId, { signal })
  }

  private async onStream(stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    const signal = AbortSignal.timeout(this.init.timeoutMs)
    try {
      if (this.serve === undefined || !this.init.allowed(from)) throw new Error(`report stream from ${from} refused`)
      const request = await readFrame(stream, MAX_REQUEST_BYTES, signal)
      const body = await this.serve(from, request)
      await writeFrame(stream, body, signal)
      await stream.close({ signal })
    } catch (err) {
      this.log.trace('report stream from %s ended - %e', from, err)
      stream.abort(err as Error)
    }
  }
}
