// Helpers for the fixture Odoo tests: build + extract the package once per process, run its
// /usr/bin/odoo locally, and talk XML-RPC through Python's xmlrpc.client (the reference client).
import {execa, type ResultPromise} from 'execa'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {buildFixtureOdooPackage} from '../../src/lib/fixture-odoo/build.js'

export const PYTHON = '/usr/bin/python3'
export const BUILD_DATE = '20250314'

const built = new Map<string, Promise<{deb: string; root: string}>>()

/** The fixture package for `series`, built and extracted (dpkg-deb -x) into a temp dir. */
export function extractedFixture(series = '17.0'): Promise<{deb: string; root: string}> {
  let entry = built.get(series)
  if (!entry) {
    entry = (async () => {
      const out = mkdtempSync(join(tmpdir(), 'odoops-fxodoo-'))
      const deb = await buildFixtureOdooPackage({series, outDir: join(out, 'debs'), date: BUILD_DATE})
      const root = join(out, 'root')
      await execa('dpkg-deb', ['-x', deb, root])
      return {deb, root}
    })()
    built.set(series, entry)
  }
  return entry
}

export async function runOdoo(root: string, args: string[], env: Record<string, string> = {}) {
  return execa(PYTHON, [join(root, 'usr/bin/odoo'), ...args], {reject: false, env, timeout: 120_000})
}

export function startOdoo(root: string, args: string[]): ResultPromise {
  return execa(PYTHON, [join(root, 'usr/bin/odoo'), ...args], {reject: false, buffer: true})
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => ok(port))
    })
  })
}

export function writeConfig(dir: string, options: Record<string, string | number | boolean>): string {
  const path = join(dir, `odoo-${Object.keys(options).length}-${Math.random().toString(36).slice(2)}.conf`)
  const lines = Object.entries(options).map(([k, v]) => `${k} = ${typeof v === 'boolean' ? (v ? 'True' : 'False') : v}`)
  writeFileSync(path, `[options]\n${lines.join('\n')}\n`)
  return path
}

export interface HttpResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP request with a chosen Host header (fetch forbids setting it). */
export function http(port: number, path: string, options: {method?: string; host?: string; headers?: Record<string, string>; body?: string} = {}): Promise<HttpResult> {
  return new Promise((ok, fail) => {
    const req = request(
      {host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: {Host: options.host ?? `127.0.0.1:${port}`, ...options.headers}},
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => ok({status: res.statusCode ?? 0, headers: res.headers, body}))
      },
    )
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      ok({status: res.statusCode ?? 0, headers: res.headers, body: ''})
    })
    req.on('error', fail)
    req.end(options.body)
  })
}

export async function jsonRpc(port: number, path: string, params: unknown, host?: string): Promise<{result?: unknown; error?: {data: {name: string; message: string}}}> {
  const res = await http(port, path, {method: 'POST', host, headers: {'Content-Type': 'application/json'}, body: JSON.stringify({jsonrpc: '2.0', method: 'call', params, id: 1})})
  return JSON.parse(res.body)
}

const XMLRPC = `
import json, sys, xmlrpc.client
url, method, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
try:
    result = getattr(xmlrpc.client.ServerProxy(url, allow_none=True), method)(*args)
    print(json.dumps({'result': result}))
except xmlrpc.client.Fault as fault:
    print(json.dumps({'fault': {'code': fault.faultCode, 'string': fault.faultString}}))
`

export interface RpcResult {
  result?: any
  fault?: {code: number; string: string}
}

/** Call `method(...args)` on http://127.0.0.1:<port>/xmlrpc/2/<service>. JSON arrays stand for tuples. */
export async function xmlrpc(port: number, service: string, method: string, args: unknown[]): Promise<RpcResult> {
  const {stdout} = await execa(PYTHON, ['-c', XMLRPC, `http://127.0.0.1:${port}/xmlrpc/2/${service}`, method, JSON.stringify(args)])
  return JSON.parse(stdout) as RpcResult
}

/** Wait until GET /web/health answers (the server is listening). */
export async function waitHealthy(port: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      if ((await http(port, '/web/health')).status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`fixture Odoo did not answer /web/health on port ${port}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
