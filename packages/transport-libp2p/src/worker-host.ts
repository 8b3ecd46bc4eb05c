/**
 * The worker side of worker mode: runs libp2p and the engine on a thread of their own, answers
 * the app's calls and mirrors the node's state to it. Started by createMurmurNode({ worker: true });
 * not meant to be imported.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { Libp2p } from '@libp2p/interface'
import { MEMBER_EVENT_NAMES, type QueryInfo, type QueryResult } from '@murmur/core'
import { createNode } from './create-node.ts'
import type { MembershipService } from './index.ts'
import {
  type EventName,
  type FromWorker,
  type ToWorker,
  toWireError,
  type WorkerData,
  type WorkerStatus,
} from './worker-protocol.ts'

const port = parentPort
if (port === null) throw new Error('worker-host.js runs only as a worker thread (createMurmurNode({ worker: true }))')
const data = workerData as WorkerData
const post = (m: FromWorker) => port.postMessage(m)

let node: Libp2p<{ membership: MembershipService }>
// tag filters read the tags the app's thread computed with its tagsOf (functions do not cross)
let tags = data.tags
let degradedTags = data.degradedTags
try {
  node = await createNode({
    listen: data.listen,
    privateKey: privateKeyFromProtobuf(data.privateKey),
    psk: data.psk,
    allow: data.allow,
    quic: data.quic,
    membership: {
      ...data.membership,
      tagsOf: tags === undefined ? undefined : () => (degraded ? degradedTags : undefined) ?? tags ?? {},
    },
  })
} catch (err) {
  post({ type: 'failed', error: toWireError(err) })
  port.close()
  throw err
}
const service = node.services.membership
let metadata = service.self().metadata
let degradedMetadata = data.progress?.degradedMetadata
let degraded = false
let probeEvents = false

function status(): WorkerStatus {
  return {
    self: service.self(),
    members: service.members(),
    healthScore: service.healthScore(),
    fingerprint: service.fingerprint(),
    stats: service.stats(),
    addrs: node.getMultiaddrs().map(String),
    degraded,
  }
}

const forwarded: EventName[] = [...MEMBER_EVENT_NAMES, 'user-event', 'probe']
for (const name of forwarded) {
  service.addEventListener(name, (e) => {
    if (name === 'probe' && !probeEvents) return
    post({ type: 'event', name, detail: (e as CustomEvent).detail })
  })
}

const aborts = new Map<number, AbortController>()
const statusTimer = setInterval(() => post({ type: 'status', status: status() }), data.statusIntervalMs)

async function call(m: Extract<ToWorker, { type: 'call' }>): Promise<unknown> {
  switch (m.method) {
    case 'join': {
      const [addrs, timeoutMs] = m.args
      return service.join(addrs, { signal: signalFor(m.id, timeoutMs) })
    }
    case 'leave':
      return service.leave({ signal: signalFor(m.id, m.args[0]) })
    case 'setMetadata': {
      const [next, marked, nextTags] = m.args
      metadata = next
      degradedMetadata = marked ?? degradedMetadata
      if (nextTags !== undefined) {
        tags = nextTags.tags
        degradedTags = nextTags.degradedTags ?? degradedTags
      }
      service.setMetadata(degraded && degradedMetadata !== undefined ? degradedMetadata : next)
      return undefined
    }
    case 'setReport':
      service.setReport(m.args[0])
      return undefined
    case 'broadcast':
      return service.broadcast(m.args[0], m.args[1])
    case 'forceLeave':
      return service.forceLeave(m.args[0], { prune: m.args[1] })
    case 'ping':
      return service.ping(m.args[0], { timeoutMs: m.args[1], signal: signalFor(m.id, undefined) })
    case 'setFaults':
      return service.setFaults(m.args[0])
    case 'status':
      return undefined
    case 'stop':
      await stop()
      return undefined
  }
}

function signalFor(id: number, timeoutMs: number | undefined): AbortSignal {
  const controller = new AbortController()
  aborts.set(id, controller)
  return timeoutMs === undefined
    ? controller.signal
    : AbortSignal.any([controller.signal, AbortSignal.timeout(timeoutMs)])
}

async function stop(): Promise<void> {
  clearInterval(statusTimer)
  clearInterval(progressTimer)
  await node.stop()
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'subscribe') {
    probeEvents = m.on
    return
  }
  if (m.type === 'query' || m.type === 'query-cancel' || m.type === 'handle-query' || m.type === 'query-answer') {
    queryMessage(m)
    return
  }
  if (m.type === 'abort') {
    aborts.get(m.id)?.abort(new DOMException('aborted by the caller', 'AbortError'))
    return
  }
  call(m).then(
    (value) => {
      aborts.delete(m.id)
      post({ type: 'reply', id: m.id, ok: true, value, status: status() })
    },
    (err: unknown) => {
      aborts.delete(m.id)
      post({ type: 'reply', id: m.id, ok: false, error: toWireError(err), status: status() })
    },
  )
})

const queries = new Map<number, QueryResult>()
const requests = new Map<number, (payload: Uint8Array | undefined) => void>()
let nextRequest = 1

/** Queries asked from the app's thread, and handlers that run there. */
function queryMessage(
  m: Extract<ToWorker, { type: 'query' | 'query-cancel' | 'handle-query' | 'query-answer' }>,
): void {
  switch (m.type) {
    case 'query': {
      let q: QueryResult
      try {
        q = service.query(m.name, m.payload, m.options)
      } catch (err) {
        post({ type: 'query-end', id: m.id, error: toWireError(err) })
        return
      }
      queries.set(m.id, q)
      void (async () => {
        try {
          for await (const answer of q) post({ type: 'query-event', id: m.id, answer })
          post({ type: 'query-end', id: m.id })
        } catch (err) {
          post({ type: 'query-end', id: m.id, error: toWireError(err) })
        } finally {
          queries.delete(m.id)
        }
      })()
      return
    }
    case 'query-cancel':
      queries.get(m.id)?.cancel()
      return
    case 'handle-query':
      service.handleQuery(m.name, m.on ? (info) => askApp(m.name, info) : undefined)
      return
    case 'query-answer': {
      const resolve = requests.get(m.id)
      requests.delete(m.id)
      resolve?.(m.payload)
      return
    }
  }
}

/** Runs the app's handler over the port; its answer (or none, at the deadline) resolves this. */
function askApp(handler: string, info: QueryInfo): Promise<Uint8Array | undefined> {
  const id = nextRequest++
  return new Promise((resolve) => {
    requests.set(id, resolve)
    const { origin, name, payload, timeoutMs } = info
    post({ type: 'query-request', id, handler, info: { origin, name, payload, id: info.id, timeoutMs } })
    info.signal.addEventListener('abort', () => {
      if (!requests.delete(id)) return
      post({ type: 'query-abort', id })
      resolve(undefined)
    })
  })
}

/**
 * The progress bound (Kafka's max.poll.interval.ms): the app's thread ticks a shared counter; when
 * it has not moved for timeoutMs, the app is alive but stuck. Degrade: announce the marked
 * metadata, and the app's own again once it ticks. Leave: say goodbye and stop, for good.
 */
const counter = data.progress === undefined ? undefined : new Int32Array(data.progress.counter)
let lastTick = counter === undefined ? 0 : Atomics.load(counter, 0)
let lastProgressAt = performance.now()
let leaving = false
const progressTimer =
  data.progress === undefined
    ? undefined
    : setInterval(() => {
        const p = data.progress!
        const now = performance.now()
        const tick = Atomics.load(counter!, 0)
        if (tick !== lastTick) {
          lastTick = tick
          const stalledMs = Math.round(now - lastProgressAt)
          lastProgressAt = now
          if (degraded) {
            degraded = false
            service.setMetadata(metadata)
            post({ type: 'progress', state: 'recovered', stalledMs })
          }
          return
        }
        const stalledMs = Math.round(now - lastProgressAt)
        if (stalledMs <= p.timeoutMs || degraded || leaving) return
        if (p.action === 'leave') {
          leaving = true
          post({ type: 'progress', state: 'left', stalledMs })
          void service
            .leave()
            .catch(() => {})
            .then(() => stop())
            .then(() => post({ type: 'status', status: status() }))
          return
        }
        degraded = true
        if (degradedMetadata !== undefined) service.setMetadata(degradedMetadata)
        post({ type: 'progress', state: 'stalled', stalledMs })
      }, data.progress.checkMs)

post({ type: 'ready', peerId: node.peerId.toString(), config: service.config, status: status() })
