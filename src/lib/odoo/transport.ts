/**
 * HTTP to an Odoo (or the nginx in front of it), either directly (`urlTransport`) or from the
 * host's own loopback through the pinned SSH connection (`hostTransport`). Both keep
 * connections alive between requests, bound every request in time and size, and never log
 * request bodies (they carry passwords).
 */
import {Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {isIP} from 'node:net'
import createDebug from 'debug'
import type {SshConnection} from '../ssh/connection.js'
import {odooError, wrapTransportError} from './errors.js'

const debug = createDebug('odoops:odoo')

/** Long enough for slow RPCs (a report, a big search_read) on a small host. */
export const DEFAULT_TIMEOUT_MS = 120_000
/** Bigger answers are refused rather than buffered: ask Odoo for fewer records or fields. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
/** Concurrent connections per transport (each is one SSH channel for hostTransport). */
const MAX_SOCKETS = 8

export interface HttpRequestOptions {
  /** Default GET. */
  method?: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Overrides the transport's timeout for this request. */
  timeoutMs?: number
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface HttpTransport {
  /** `path` is absolute (`/web/health`, `/xmlrpc/2/common`), with its query string. */
  request(path: string, options?: HttpRequestOptions): Promise<HttpResponse>
  /** Close kept-alive connections (and the SSH forward). Later requests fail. */
  close(): Promise<void>
  /** What the transport reaches, for messages. */
  readonly description?: string
}

export interface TransportOptions {
  /** Per request, from sending to the last byte of the answer (default 120 s). */
  timeoutMs?: number
  /** Largest answer body accepted (default 64 MB). */
  maxBodyBytes?: number
}

export interface HostTransportOptions extends TransportOptions {
  /** The port on the host's loopback (Odoo's http_port, or 443/80 for nginx). */
  port: number
  /** HTTPS to that port (nginx with the tenant's certificate). */
  tls?: boolean
  /** Host header and TLS server name (SNI), e.g. the tenant's domain; default `127.0.0.1:<port>`. */
  hostHeader?: string
}

interface Endpoint {
  tls: boolean
  host: string
  port: number
  agent: HttpAgent
  basePath: string
  hostHeader?: string
  servername?: string
  description: string
  timeoutMs: number
  maxBodyBytes: number
}

type SendOutcome = {response: HttpResponse} | {retry: true}

function tooLarge(endpoint: Endpoint, what: string): Error {
  const limit = endpoint.maxBodyBytes
  const size = limit >= 1024 * 1024 ? `${Math.round(limit / (1024 * 1024))} MB` : `${Math.round(limit / 1024)} KB`
  return odooError(
    'ODOO_RESPONSE_TOO_LARGE',
    `The answer to ${what} from ${endpoint.description} is larger than ${size}; odoops stopped reading it.`,
    ['Ask for less per call: pass a `limit` (and page with `offset`) and only the `fields` you need.'],
    {target: endpoint.description, limitBytes: endpoint.maxBodyBytes},
  )
}

function timedOut(endpoint: Endpoint, what: string, timeoutMs: number): Error {
  return odooError(
    'ODOO_TIMEOUT',
    `${endpoint.description} did not answer ${what} within ${Math.round(timeoutMs / 1000)} s.`,
    ['Odoo may be busy (a module install, a long report) or stuck: check its log on the host, then retry.'],
    {target: endpoint.description, timeoutMs},
  )
}

function sendOnce(endpoint: Endpoint, path: string, options: HttpRequestOptions): Promise<SendOutcome> {
  const method = (options.method ?? 'GET').toUpperCase()
  const what = `${method} ${path}`
  const timeoutMs = options.timeoutMs ?? endpoint.timeoutMs
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body
  const headers: OutgoingHttpHeaders = {'User-Agent': 'odoops', ...options.headers}
  if (endpoint.hostHeader) headers.Host = endpoint.hostHeader
  if (body) headers['Content-Length'] = String(body.length)
  return new Promise<SendOutcome>((resolve, reject) => {
    let settled = false
    let answered = false
    const finish = (outcome: SendOutcome | Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (outcome instanceof Error) {
        req.destroy()
        reject(outcome)
      } else {
        resolve(outcome)
      }
    }
    const req = (endpoint.tls ? httpsRequest : httpRequest)(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: endpoint.basePath + path,
        method,
        headers,
        agent: endpoint.agent,
        ...(endpoint.tls && endpoint.servername ? {servername: endpoint.servername} : {}),
      },
      (res) => {
        answered = true
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > endpoint.maxBodyBytes) return finish(tooLarge(endpoint, what))
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > endpoint.maxBodyBytes) return finish(tooLarge(endpoint, what))
          chunks.push(chunk)
        })
        res.on('end', () => finish({response: {status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}}))
        res.on('error', (error) => finish(wrapTransportError(error, endpoint.description, what)))
        res.on('close', () => {
          if (!res.complete) finish(wrapTransportError(new Error('the connection closed in the middle of the answer'), endpoint.description, what))
        })
      },
    )
    req.on('error', (error: NodeJS.ErrnoException) => {
      // A kept-alive socket the server closed while idle fails at once with ECONNRESET; the request
      // never reached the server, so sending it again on a new connection is safe (Node's http docs).
      if (!settled && !answered && req.reusedSocket && error.code === 'ECONNRESET') {
        settled = true
        clearTimeout(timer)
        resolve({retry: true})
        return
      }
      finish(wrapTransportError(error, endpoint.description, what))
    })
    const timer = setTimeout(() => finish(timedOut(endpoint, what, timeoutMs)), timeoutMs)
    req.end(body)
  })
}

async function send(endpoint: Endpoint, path: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  if (!path.startsWith('/')) throw new TypeError(`request path must start with "/": ${path}`)
  const started = Date.now()
  let outcome = await sendOnce(endpoint, path, options)
  if ('retry' in outcome) outcome = await sendOnce(endpoint, path, options)
  if ('retry' in outcome) throw wrapTransportError(new Error('the connection was reset twice'), endpoint.description, `${options.method ?? 'GET'} ${path}`)
  debug('%s %s%s -> %d (%d bytes, %d ms)', options.method ?? 'GET', endpoint.description, path.replace(/\?.*$/, ''), outcome.response.status, outcome.response.body.length, Date.now() - started)
  return outcome.response
}

function closedError(description: string): Error {
  return odooError('ODOO_TRANSPORT_CLOSED', `The connection to ${description} was closed by odoops before this request.`, [], {target: description})
}

/** SNI must be a host name (RFC 6066): none for an IP address or a Host with a port. */
function serverNameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader || hostHeader.includes(':') || isIP(hostHeader)) return undefined
  return hostHeader
}

/**
 * HTTP(S) to `127.0.0.1:<port>` as seen from the host, through one local forward of the SSH
 * connection (opened on the first request, closed by `close()`). Certificates are NOT
 * verified here, on purpose: the target is the host's loopback, reached over an SSH
 * connection whose host key is pinned, so TLS adds no authentication and the tenant's
 * certificate may well be self-signed or not yet issued. The Host header (and SNI) select
 * the nginx vhost and Odoo's dbfilter.
 */
export function hostTransport(conn: Pick<SshConnection, 'forwardLocal' | 'target' | 'isClosed'>, options: HostTransportOptions): HttpTransport {
  const tls = options.tls ?? false
  const description = `${tls ? 'https' : 'http'}://${options.hostHeader ?? '127.0.0.1'} (port ${options.port} on host "${conn.target.name}", through SSH)`
  const agent = tls ? new HttpsAgent({keepAlive: true, maxSockets: MAX_SOCKETS, rejectUnauthorized: false}) : new HttpAgent({keepAlive: true, maxSockets: MAX_SOCKETS})
  let forward: ReturnType<SshConnection['forwardLocal']> | undefined
  let closed = false
  const open = () => {
    forward ??= conn.forwardLocal('127.0.0.1', options.port).catch((error: unknown) => {
      forward = undefined
      throw error
    })
    return forward
  }
  return {
    description,
    async request(path, request) {
      if (closed) throw closedError(description)
      const local = await open()
      try {
        return await send(
          {
            tls,
            host: local.host,
            port: local.port,
            agent,
            basePath: '',
            hostHeader: options.hostHeader ?? `127.0.0.1:${options.port}`,
            servername: serverNameOf(options.hostHeader),
            description,
            timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
          },
          path,
          request,
        )
      } catch (error) {
        // The SSH connection closed under us and took the forward with it: say so rather than
        // "connection refused" (forwardLocal on a closed connection throws SSH_CONNECTION_LOST).
        if (conn.isClosed) {
          forward = undefined
          await open()
        }
        throw error
      }
    },
    async close() {
      closed = true
      agent.destroy()
      const pending = forward
      forward = undefined
      const local = await pending?.catch(() => undefined)
      await local?.close()
    },
  }
}

/** HTTP(S) to an Odoo by URL (`https://erp.example.com`), with normal certificate checks. */
export function urlTransport(baseUrl: string, options: TransportOptions = {}): HttpTransport {
  const url = new URL(baseUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${baseUrl}`)
  const tls = url.protocol === 'https:'
  const agent = tls ? new HttpsAgent({keepAlive: true, maxSockets: MAX_SOCKETS}) : new HttpAgent({keepAlive: true, maxSockets: MAX_SOCKETS})
  const endpoint: Endpoint = {
    tls,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || (tls ? 443 : 80)),
    agent,
    basePath: url.pathname.replace(/\/+$/, ''),
    description: url.origin,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  }
  let closed = false
  return {
    description: endpoint.description,
    async request(path, request) {
      if (closed) throw closedError(endpoint.description)
      return send(endpoint, path, request)
    },
    async close() {
      closed = true
      agent.destroy()
    },
  }
}
