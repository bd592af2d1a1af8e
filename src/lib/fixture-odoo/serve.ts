import {createReadStream, statSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {join, normalize, resolve, sep} from 'node:path'
import {OdoopsError, messageOf} from '../errors.js'

/** A running static HTTP server for a flat apt repository. */
export interface AptRepoServer {
  /** http://<host>:<port> (no trailing slash). */
  url: string
  port: number
  /** The sources.list line for this repository. */
  aptSource: string
  close(): Promise<void>
}

/**
 * Serve `dir` read-only over HTTP (GET/HEAD, files only, nothing outside `dir`), for apt in a
 * sandbox to fetch the fixture Odoo. Port 0 picks a free port.
 */
export async function serveAptRepo(dir: string, options: {host?: string; port?: number} = {}): Promise<AptRepoServer> {
  const base = resolve(dir)
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0])
    const full = normalize(join(base, path))
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (full !== base && !full.startsWith(base + sep))) {
      res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 404 : 405).end()
      return
    }
    let size: number
    try {
      const stat = statSync(full)
      if (!stat.isFile()) throw new Error('not a file')
      size = stat.size
    } catch {
      res.writeHead(404, {'Content-Type': 'text/plain'}).end('Not Found\n')
      return
    }
    res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': String(size)})
    if (req.method === 'HEAD') res.end()
    else createReadStream(full).pipe(res)
  })
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((ok, fail) => {
    server.once('error', (error) =>
      fail(
        new OdoopsError('FIXTURE_REPO_SERVE', `Cannot serve the fixture apt repository on ${host}:${options.port ?? 0}: ${messageOf(error)}`, {
          cause: error,
          suggestions: ['Pick another port, or stop what listens there.'],
        }),
      ),
    )
    server.listen(options.port ?? 0, host, () => ok())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    url,
    port,
    aptSource: `deb [trusted=yes] ${url}/ ./`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections()
        server.close(() => ok())
      }),
  }
}
