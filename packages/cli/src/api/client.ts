import { request } from 'node:http'
import { API_REQUEST_TIMEOUT_MS } from '../constants.ts'
import { CliError, EXIT } from '../errors.ts'

export const DEFAULT_API = '127.0.0.1:7373'

export interface ApiClientOptions {
  /** Sent as `Authorization: Bearer <token>` (the agent's --api-token-file). */
  token?: string
}

/** Calls the agent's control API; every failure becomes a CliError saying what to do. */
export class ApiClient {
  readonly address: string
  private readonly token: string | undefined

  constructor(address: string = DEFAULT_API, options: ApiClientOptions = {}) {
    this.address = address
    this.token = options.token
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path)
  }

  /** Always a JSON body (`{}` when none), with Content-Type: application/json: the API refuses others. */
  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body)
  }

  /**
   * Streams NDJSON lines from GET `path` (POST with `body`, as JSON) until the stream ends,
   * `signal` aborts or the agent goes away.
   */
  async stream(path: string, onLine: (value: unknown) => void, signal?: AbortSignal, body?: unknown): Promise<void> {
    const init: RequestInit =
      body === undefined
        ? { signal, headers: this.auth() }
        : {
            signal,
            method: 'POST',
            body: JSON.stringify(body),
            headers: { ...this.auth(), 'content-type': 'application/json' },
          }
    const res = await fetch(`http://${this.address}${path}`, init).catch((err) => {
      if (signal?.aborted) return undefined
      throw this.unreachable(err as Error)
    })
    if (res === undefined || res.body === null) return
    if (!res.ok) {
      const value = await res.json().catch(() => ({}))
      throw this.refusal(res.status, value)
    }
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true })
        let nl = buf.indexOf('\n')
        while (nl >= 0) {
          const line = buf.slice(0, nl).trim()
          buf = buf.slice(nl + 1)
          if (line !== '') onLine(JSON.parse(line))
          nl = buf.indexOf('\n')
        }
      }
    } catch (err) {
      if (!signal?.aborted) throw new CliError(`lost the event stream from ${this.address}: ${(err as Error).message}`)
    }
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const [host, port] = splitHostPort(this.address)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host,
          port,
          method,
          path,
          timeout: API_REQUEST_TIMEOUT_MS,
          headers: { ...this.auth(), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let value: unknown
            try {
              value = JSON.parse(text)
            } catch {
              return reject(new CliError(`the agent at ${this.address} sent a non-JSON answer (is it a murmur agent?)`))
            }
            if ((res.statusCode ?? 500) >= 400) return reject(this.refusal(res.statusCode ?? 500, value))
            resolve(value as T)
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer within ${API_REQUEST_TIMEOUT_MS / 1000} s`)))
      req.on('error', (err) => reject(this.unreachable(err)))
      if (payload !== undefined) req.write(payload)
      req.end()
    })
  }

  /** The agent's `{"error": {code, message}}` as a CliError with the same code. */
  private refusal(status: number, value: unknown): CliError {
    const e = (value as { error?: { code?: string; message?: string } }).error
    const code = e?.code ?? 'ERR_API'
    return new CliError(
      e?.message ?? `HTTP ${status}`,
      code,
      code === 'ERR_JOIN_FAILED' ? EXIT.joinFailed : EXIT.failure,
    )
  }

  private auth(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }
  }

  private unreachable(err: Error): CliError {
    return new CliError(
      `no murmur agent answers at ${this.address} (${(err as { code?: string }).code ?? err.message}); start one with \`murmur agent\` or pass --api host:port`,
      'ERR_AGENT_UNREACHABLE',
      EXIT.agentUnreachable,
    )
  }
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':')
  return [address.slice(0, at).replace(/^\[|\]$/g, ''), Number(address.slice(at + 1))]
}
