/**
 * A real ACME server for host tests: Debian's `pebble` (Let's Encrypt's test CA, RFC 8555)
 * with `pebble-challtestsrv` as its DNS server, both run on this machine.
 *
 *   const ca = await startPebble(hostSide)      // hostSide: the sandbox subnet's 10.77.N.1
 *   await ca.setA('shop.example.test', [sandbox.address])
 *   … host prepare --acme-server ca.directory --acme-ca-bundle ca.caBundleFile, ODOOPS_ACME_RESOLVER=ca.resolver
 *   await ca.stop()
 *
 * HTTP-01 validation is real: pebble asks challtestsrv for the domain's address and fetches
 * the challenge from port 80 there (PEBBLE_VA_ALWAYS_VALID is not set; PEBBLE_VA_NOSLEEP
 * only skips its random wait). pebble's directory is served over TLS with a certificate
 * made here for `hostSide`, signed by a throwaway CA (the bundle the host must trust);
 * `root()` is the root pebble issues from (its management API, /roots/0), which changes
 * with every start. Both processes are killed by PID in `stop()`.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {request} from 'node:https'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'

export interface Pebble {
  /** The ACME directory URL, reachable from the sandboxes. */
  directory: string
  /** PEM file of the CA that signed pebble's TLS certificate. */
  caBundleFile: string
  /** challtestsrv's DNS server as `acme.resolver` takes it (ip:port). */
  resolver: string
  setA(domain: string, addresses: string[]): Promise<void>
  /** The root certificate pebble issues from (PEM). */
  root(): Promise<string>
  stop(): Promise<void>
}

/** Debian's pebble package (bookworm: 2.4.0) is installed (.ci/install-system-deps installs it). */
export function pebbleAvailable(): boolean {
  return existsSync('/usr/bin/pebble') && existsSync('/usr/bin/pebble-challtestsrv')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '0.0.0.0', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

function httpsText(url: string, ca: string, method = 'GET', body?: string): Promise<{status: number; text: string}> {
  return new Promise((resolve, reject) => {
    const req = request(url, {method, ca, timeout: 5000}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
}

async function management(port: number, path: string, body: unknown): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {method: 'POST', body: JSON.stringify(body)})
  if (!response.ok) throw new Error(`challtestsrv ${path}: HTTP ${response.status} ${await response.text()}`)
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}

/** `blocked`: names pebble refuses to issue for (its domainBlocklist): a CA refusal after odoops' checks pass. */
export async function startPebble(hostSide: string, options: {blocked?: string[]} = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'odoops-pebble-'))
  const file = (name: string) => join(dir, name)
  // A throwaway CA and pebble's TLS certificate for the address the sandboxes reach.
  await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=odoops test ACME CA', '-keyout', file('ca.key'), '-out', file('ca.pem')])
  await execa('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=pebble', '-keyout', file('key.pem'), '-out', file('req.csr')])
  writeFileSync(file('ext.cnf'), `subjectAltName=IP:${hostSide},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`)
  await execa('openssl', ['x509', '-req', '-in', file('req.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('ext.cnf'), '-out', file('cert.pem')])
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  writeFileSync(
    file('pebble.json'),
    JSON.stringify({pebble: {listenAddress: `0.0.0.0:${acmePort}`, managementListenAddress: `0.0.0.0:${mgmtPort}`, certificate: file('cert.pem'), privateKey: file('key.pem'), httpPort: 80, tlsPort: 443, ocspResponderURL: '', externalAccountBindingRequired: false, domainBlocklist: options.blocked ?? []}}),
  )
  const children: ChildProcess[] = []
  const stop = async () => {
    for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGTERM')
    await Promise.all(children.map(exited))
    rmSync(dir, {recursive: true, force: true})
  }
  try {
    // No default answers: a name resolves only once setA gave it addresses.
    children.push(spawn('pebble-challtestsrv', ['-defaultIPv4', '', '-defaultIPv6', '', '-dns01', `0.0.0.0:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${dnsMgmtPort}`], {stdio: 'ignore'}))
    children.push(
      spawn('pebble', ['-config', file('pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
        stdio: 'ignore',
        // Real validation (no PEBBLE_VA_ALWAYS_VALID); no random sleeps; no nonce rejections (flaky retries).
        env: {...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0'},
      }),
    )
    const ca = readFileSync(file('ca.pem'), 'utf8')
    const directory = `https://${hostSide}:${acmePort}/dir`
    const deadline = Date.now() + 20_000
    for (;;) {
      const up = await httpsText(directory, ca).then((r) => r.status === 200, () => false)
      const dnsUp = await fetch(`http://127.0.0.1:${dnsMgmtPort}/clear-a`, {method: 'POST', body: '{"host":"probe.invalid."}'}).then((r) => r.ok, () => false)
      if (up && dnsUp) break
      if (Date.now() > deadline) throw new Error('pebble or pebble-challtestsrv did not start within 20 s')
      await new Promise((r) => setTimeout(r, 250))
    }
    return {
      directory,
      caBundleFile: file('ca.pem'),
      resolver: `${hostSide}:${dnsPort}`,
      async setA(domain, addresses) {
        await management(dnsMgmtPort, '/clear-a', {host: `${domain}.`})
        if (addresses.length) await management(dnsMgmtPort, '/add-a', {host: `${domain}.`, addresses})
      },
      async root() {
        const r = await httpsText(`https://127.0.0.1:${mgmtPort}/roots/0`, ca)
        if (r.status !== 200) throw new Error(`pebble /roots/0: HTTP ${r.status}`)
        return r.text
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
