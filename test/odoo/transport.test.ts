import {expect} from 'chai'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {syncBuiltinESMExports} from 'node:module'
import nock from 'nock'
import {hostTransport, urlTransport} from '../../src/lib/odoo/transport.js'
import type {SshConnection} from '../../src/lib/ssh/connection.js'
import {SshPool} from '../../src/lib/ssh/pool.js'
import {script, shell} from '../../src/lib/ssh/quote.js'
import {requireSandboxes, sharedSandbox, SANDBOX_BOOT_TIMEOUT_MS} from '../helpers/sandbox.js'
import {failure} from '../helpers/failure.js'

describe('odoo: HTTP transports', function () {
  this.timeout(60_000)

  describe('limits and connection reuse (local server)', () => {
    let server: Server
    let port: number
    const sockets = new Set<unknown>()
    let nockWasActive = false

    before(async () => {
      // nock's interceptor (test/setup.ts) re-creates every passed-through request on a new socket,
      // which hides keep-alive; this block only talks to its own loopback server.
      nockWasActive = nock.isActive()
      if (nockWasActive) nock.restore()
      syncBuiltinESMExports() // ESM imports of node:http see the restored functions
      server = createServer((req, res) => {
        sockets.add(req.socket)
        if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000)
        if (req.url === '/big') {
          // No Content-Length: the cap must hold while streaming, not only on the header.
          res.writeHead(200, {'Content-Type': 'application/octet-stream'})
          for (let i = 0; i < 64; i++) res.write(Buffer.alloc(16 * 1024, 1))
          return res.end()
        }
        res.writeHead(200, {'Content-Type': 'application/json'})
        res.end(JSON.stringify({host: req.headers.host, path: req.url}))
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })

    after(() => {
      if (nockWasActive) nock.activate()
      syncBuiltinESMExports()
      server.closeAllConnections()
      server.close()
    })

    it('caps the body, bounds the time, and keeps one connection alive across requests', async () => {
      const transport = urlTransport(`http://127.0.0.1:${port}`, {maxBodyBytes: 512 * 1024, timeoutMs: 500})
      try {
        sockets.clear()
        for (let i = 0; i < 5; i++) expect((await transport.request(`/ok/${i}`)).status).to.equal(200)
        expect(sockets.size, 'keep-alive: one connection for five sequential requests').to.equal(1)
        const big = await failure(transport.request('/big'))
        expect(big.code).to.equal('ODOO_RESPONSE_TOO_LARGE')
        expect(big.message).to.contain('The answer to GET /big from http://127.0.0.1').and.contain('is larger than 512 KB')
        const slow = await failure(transport.request('/slow'))
        expect(slow.code).to.equal('ODOO_TIMEOUT')
        expect(slow.message).to.contain('did not answer GET /slow')
        // A longer per-request timeout overrides the transport's.
        expect((await transport.request('/slow', {timeoutMs: 5000})).body.toString()).to.equal('late')
      } finally {
        await transport.close()
      }
      expect((await failure(transport.request('/ok'))).code).to.equal('ODOO_TRANSPORT_CLOSED')
    })

    it('hostTransport opens one forward for all its requests, sends the Host header, and closes it', async () => {
      let opened = 0
      let closed = 0
      const conn = {
        target: {name: 'fake'},
        isClosed: false,
        forwardLocal: async (host: string, remotePort: number) => {
          expect([host, remotePort]).to.deep.equal(['127.0.0.1', 8069])
          opened++
          return {host: '127.0.0.1' as const, port, close: async () => void closed++}
        },
      } as unknown as SshConnection
      const viaHost = hostTransport(conn, {port: 8069, hostHeader: 'tenant.example.test'})
      const answers = await Promise.all([1, 2, 3].map((i) => viaHost.request(`/web/health?i=${i}`)))
      expect(answers.map((a) => JSON.parse(a.body.toString()).host)).to.deep.equal(['tenant.example.test', 'tenant.example.test', 'tenant.example.test'])
      const plain = hostTransport(conn, {port: 8069})
      expect(JSON.parse((await plain.request('/')).body.toString()).host, 'default Host: the remote port, as a local client on the host would send').to.equal('127.0.0.1:8069')
      await Promise.all([viaHost.close(), plain.close()])
      expect([opened, closed]).to.deep.equal([2, 2])
    })
  })

  describe('hostTransport through a sandbox @host', () => {
    // A tiny server on the sandbox's loopback: HTTP and HTTPS (self-signed), echoing the Host header and the TLS server name.
    const ECHO = `
import http.server, json, os, socketserver, ssl, sys, threading
seen = {}
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def do_GET(self):
        body = json.dumps({'host': self.headers.get('Host'), 'sni': seen.get('sni'), 'path': self.path}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
# socketserver's TCP server, not http.server's: HTTPServer.server_bind calls socket.getfqdn(), which
# waits for DNS timeouts on a sandbox without a resolver.
plain = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), Echo)
secure = socketserver.ThreadingTCPServer(('127.0.0.1', int(sys.argv[2])), Echo)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[3] + '/cert.pem', sys.argv[3] + '/key.pem')
context.sni_callback = lambda sock, name, ctx: seen.__setitem__('sni', name)
secure.socket = context.wrap_socket(secure.socket, server_side=True)
threading.Thread(target=secure.serve_forever, daemon=True).start()
open(sys.argv[3] + '/pid', 'w').write(str(os.getpid()))
plain.serve_forever()
`
    const dir = `/tmp/odoops-echo-${process.pid}`
    const httpPort = 20000 + (process.pid % 20000)
    const httpsPort = httpPort + 1
    let pool: SshPool
    let conn: SshConnection

    before(async function () {
      this.timeout(SANDBOX_BOOT_TIMEOUT_MS)
      requireSandboxes(this)
      const info = await sharedSandbox('a')
      pool = new SshPool({agentSocket: null})
      conn = await pool.connect({name: info.name, address: info.address, port: info.port, user: 'root', identityFile: info.identityFile, hostKey: info.hostKey})
      await conn.run(shell`mkdir -p ${dir} && cat > ${dir}/echo.py`, {stdin: ECHO})
      const started = await conn.exec(
        script([
          shell`cd ${dir}`,
          shell`openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=tenant.example.test 2>/dev/null`,
          // In the background, detached from this SSH channel; its pid is written once both ports listen.
          shell`setsid nohup python3 echo.py ${httpPort} ${httpsPort} ${dir} >echo.log 2>&1 </dev/null &`,
          shell`for i in $(seq 1 100); do [ -s pid ] && exit 0; sleep 0.1; done; cat echo.log >&2; exit 1`,
        ]),
      )
      expect(started.code, started.stderr.toString()).to.equal(0)
    })

    after(async () => {
      await conn?.exec(shell`[ -s ${dir}/pid ] && kill "$(cat ${dir}/pid)"; rm -rf ${dir}`).catch(() => undefined)
      await pool?.closeAll()
    })

    it('reaches the host loopback over HTTP and HTTPS (self-signed accepted) with the Host header and SNI', async () => {
      const plain = hostTransport(conn, {port: httpPort, hostHeader: 'tenant.example.test'})
      const secure = hostTransport(conn, {port: httpsPort, tls: true, hostHeader: 'tenant.example.test'})
      try {
        const a = await plain.request('/web/health')
        expect([a.status, JSON.parse(a.body.toString())]).to.deep.equal([200, {host: 'tenant.example.test', sni: null, path: '/web/health'}])
        const b = await secure.request('/web/health?db_server_status=1')
        expect([b.status, JSON.parse(b.body.toString())]).to.deep.equal([200, {host: 'tenant.example.test', sni: 'tenant.example.test', path: '/web/health?db_server_status=1'}])
      } finally {
        await Promise.all([plain.close(), secure.close()])
      }
      // Nothing listening on that loopback port: a clear error, not a hang.
      const nowhere = hostTransport(conn, {port: httpsPort + 1})
      try {
        const error = await failure(nowhere.request('/web/health'))
        expect(error.code).to.equal('ODOO_UNREACHABLE')
        expect(error.message).to.contain(`port ${httpsPort + 1} on host "${conn.target.name}"`)
      } finally {
        await nowhere.close()
      }
    })
  })
})
