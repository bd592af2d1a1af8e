/**
 * Screenshots of a tenant as its users see it, with Debian's headless chromium, for the docs
 * (docs/white-label.md, docs/images/). The test machine reaches the sandbox's nginx at its
 * address: a small reverse proxy on 127.0.0.1 forwards chromium's requests to
 * https://<address>:443 with SNI and Host = the tenant's domain (nginx's self-signed
 * certificate accepted), and adds the session cookie of a login when one is given (chromium's
 * command line cannot log in). Used by test/real/branding.test.ts on every run (into
 * docs/images when ODOOPS_BRANDING_SCREENSHOTS=<dir> is set: .ci/white-label-screenshots).
 */
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {crc32, deflateSync} from 'node:zlib'
import {decodePng} from '../fleet/png.js'

export const CHROMIUM = process.env.ODOOPS_CHROMIUM ?? '/usr/bin/chromium'

interface Target {
  address: string
  domain: string
}

function forward(target: Target, request: {method: string; path: string; headers: http.OutgoingHttpHeaders; body?: Buffer}): Promise<{status: number; headers: http.IncomingHttpHeaders; body: Buffer}> {
  return new Promise((resolve, reject) => {
    const req = https.request({host: target.address, port: 443, servername: target.domain, rejectUnauthorized: false, method: request.method, path: request.path, headers: {...request.headers, host: target.domain}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(request.body)
  })
}

/** The session_id of a login as `login` (POST /web/session/authenticate, as the login form does). */
export async function odooSession(target: Target, database: string, login: string, password: string): Promise<string> {
  const answer = await forward(target, {
    method: 'POST',
    path: '/web/session/authenticate',
    headers: {'content-type': 'application/json'},
    body: Buffer.from(JSON.stringify({jsonrpc: '2.0', method: 'call', id: 1, params: {db: database, login, password}})),
  })
  const cookie = [answer.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('session_id='))
  if (answer.status !== 200 || !cookie || /"error"/.test(answer.body.toString('utf8'))) throw new Error(`login as ${login} failed: HTTP ${answer.status} ${answer.body.toString('utf8').slice(0, 500)}`)
  return cookie.split(';')[0].slice('session_id='.length)
}

/** A blank page compresses to a few hundred bytes; a rendered one with a logo and a form does not. */
export const RENDERED_MIN_BYTES = 5000

/** Screenshots (PNG files) of each path of the tenant, after its JavaScript ran (15 s of virtual time, more when the page came out blank). */
export async function screenshotTenant(target: Target, shots: {path: string; file: string; /** default 1280×800 */ size?: string; /** keep only the last rows of content (blank rows at the bottom dropped first) */ bottomRows?: number}[], options: {session?: string} = {}): Promise<void> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const headers: http.OutgoingHttpHeaders = {...req.headers}
      delete headers['accept-encoding']
      if (options.session) headers.cookie = `session_id=${options.session}`
      forward(target, {method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks)}).then(
        (answer) => {
          const out = {...answer.headers}
          delete out['set-cookie']
          delete out['strict-transport-security']
          delete out['transfer-encoding']
          // Redirects to the tenant's https URL stay on the proxy.
          if (typeof out.location === 'string') out.location = out.location.replace(`https://${target.domain}`, '')
          res.writeHead(answer.status, out)
          res.end(answer.body)
        },
        (error: Error) => {
          res.writeHead(502)
          res.end(String(error.message))
        },
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  try {
    for (const shot of shots) {
      // On a loaded machine (CI on 2 cores) the web client may not have drawn the page within
      // the virtual time, or chromium may not finish in time: a blank or missing shot is taken
      // again with twice the budget, at most three times; the caller checks what it got.
      for (const budget of [15_000, 30_000, 60_000]) {
        const profile = mkdtempSync(join(tmpdir(), 'odoops-chromium-'))
        rmSync(shot.file, {force: true})
        try {
          await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profile}`, `--virtual-time-budget=${budget}`, `--screenshot=${shot.file}`, `--window-size=${shot.size ?? '1280,800'}`, `http://127.0.0.1:${port}${shot.path}`], {timeout: 180_000, reject: false})
        } finally {
          rmSync(profile, {recursive: true, force: true})
        }
        if (!existsSync(shot.file)) continue
        if (shot.bottomRows) writeFileSync(shot.file, cropBottom(readFileSync(shot.file), shot.bottomRows))
        if (statSync(shot.file).size > RENDERED_MIN_BYTES) break
      }
    }
  } finally {
    server.close()
  }
}

/** The last `rows` rows of a PNG above its blank bottom (rows like its last one), as an RGBA PNG. */
function cropBottom(file: Buffer, rows: number): Buffer {
  const png = decodePng(file)
  const stride = png.width * 4
  const row = (y: number) => png.pixels.subarray(y * stride, (y + 1) * stride)
  // Blank: the same pixels as the last row (a page's empty bottom, sidebars included).
  const last = row(png.height - 1)
  const blank = (y: number) => row(y).equals(last)
  let end = png.height
  while (end > 1 && blank(end - 1)) end--
  end = Math.min(png.height, end + 16)
  const start = Math.max(0, end - rows)
  const raw = Buffer.concat(Array.from({length: end - start}, (_, i) => Buffer.concat([Buffer.from([0]), row(start + i)])))
  return encodePng(png.width, end - start, 'rgba', raw, 9)
}

/**
 * A PNG of 8-bit `rgb` or `rgba` pixels from its filtered scanlines (`raw`: each row a filter
 * byte, 0 here, then the row's pixels), as PNG's spec lays out IHDR, IDAT and IEND.
 */
export function encodePng(width: number, height: number, colour: 'rgb' | 'rgba', raw: Buffer, level?: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, colour === 'rgba' ? 6 : 2, 0, 0, 0], 8)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, level === undefined ? {} : {level})), chunk('IEND', Buffer.alloc(0))])
}
