import {randomBytes, X509Certificate} from 'node:crypto'
import {Resolver} from 'node:dns/promises'
import {lookup} from 'node:dns/promises'
import {request} from 'node:http'
import {isIP} from 'node:net'
import {messageOf, OdoopsError, usageError} from '../errors.js'
import {issueCertificate, placeChallengeProbe, removeChallengeProbe, resolveOnHost, servedSerial} from '../remote/acme.js'
import {pollUntil} from '../retry.js'
import {readRemoteFile} from '../remote/files.js'
import type {Settings} from '../config/settings.js'
import type {TenantAcmeRecord} from '../state/records.js'
import type {TenantStepContext} from './context.js'
import {saveTenant} from './save-tenant.js'

/**
 * A tenant's ACME certificate (docs/tls.md): before the CA is asked, the checks an HTTP-01
 * validation needs — the domain resolves to the host's address (from this machine and from
 * the host) and the host's port 80 serves the challenge path for the domain — then
 * `certbot certonly --webroot`, and the vhost switched to the issued certificate. One
 * attempt per call: a failure is recorded on the tenant (`acme.status = failed`, the check
 * and certbot's own words) and returned, never retried here.
 */
export interface DnsResolverSetting {
  address: string
  port: number
}

/** "10.0.0.53", "10.0.0.53:5353", "[2001:db8::53]:53" or "2001:db8::53" → address and port. */
export function parseResolver(text: string): DnsResolverSetting {
  const value = text.trim()
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value)
  const plain = /^([^:]+)(?::(\d+))?$/.exec(value)
  const [address, port] = bracketed ? [bracketed[1], bracketed[2]] : isIP(value) === 6 ? [value, undefined] : plain ? [plain[1], plain[2]] : [value, undefined]
  const portNumber = port === undefined ? 53 : Number(port)
  if (!isIP(address) || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535) {
    throw usageError('ACME_RESOLVER_INVALID', `"${text}" is not a DNS server address (ip, ip:port or [ipv6]:port).`, ['odoops config set acme.resolver 192.0.2.53   # or unset it to use the system resolver'])
  }
  return {address, port: portNumber}
}

/** The TenantEnv part of the `acme.resolver` setting (none: the system resolvers). */
export function acmeResolverOf(settings: Pick<Settings, 'get'>): {acmeResolver?: DnsResolverSetting} {
  const text = settings.get<string>('acme.resolver')
  return text ? {acmeResolver: parseResolver(text)} : {}
}

/** A/AAAA records of `domain` from this machine: the configured resolver, else the system's. */
export async function resolveOnOperator(domain: string, resolver?: DnsResolverSetting): Promise<string[]> {
  const r = new Resolver({timeout: 5000, tries: 2})
  if (resolver) r.setServers([isIP(resolver.address) === 6 ? `[${resolver.address}]:${resolver.port}` : `${resolver.address}:${resolver.port}`])
  const out: string[] = []
  for (const family of ['resolve4', 'resolve6'] as const) {
    try {
      out.push(...(await r[family](domain)))
    } catch (error) {
      const code = (error as {code?: string}).code
      if (code !== 'ENODATA' && code !== 'ENOTFOUND') throw new OdoopsError('ACME_DNS_FAILED', `Could not resolve ${domain}${resolver ? ` with ${resolver.address}:${resolver.port}` : ''}: ${messageOf(error)}`)
    }
  }
  return [...new Set(out)]
}

/** The host's addresses: its recorded address, or what that name resolves to here. */
async function hostAddresses(address: string): Promise<string[]> {
  if (isIP(address)) return [address]
  try {
    return (await lookup(address, {all: true})).map((a) => a.address)
  } catch {
    return []
  }
}

function httpGet(address: string, domain: string, path: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request({hostname: address, port: 80, path, method: 'GET', headers: {Host: domain}, timeout: 10_000}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 4096)}))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')))
    req.on('error', reject)
    req.end()
  })
}

export interface AcmeAttempt {
  status: 'issued' | 'failed'
  failedCheck?: TenantAcmeRecord['failedCheck']
  /** What failed, for a person (certbot's own lines for an issuance failure). */
  message?: string
  certificate?: string
}

class CheckFailed extends Error {
  constructor(
    readonly check: NonNullable<TenantAcmeRecord['failedCheck']>,
    message: string,
  ) {
    super(message)
  }
}

const CHECK_NAMES: Record<NonNullable<TenantAcmeRecord['failedCheck']>, string> = {
  dns: 'DNS from this machine',
  'host-dns': 'DNS from the host',
  http: 'port 80 challenge path',
  issuance: 'certificate issuance',
}

export function acmeWarning(slug: string, acme: TenantAcmeRecord): string {
  const check = acme.failedCheck ? CHECK_NAMES[acme.failedCheck] : 'ACME'
  return `${slug}: no ACME certificate (check failed: ${check}): ${acme.error ?? 'unknown error'}. It serves a self-signed certificate; fix the cause, then: odoops tenant tls ${slug} --retry`
}

/**
 * One ACME attempt for the tenant of `ctx`: checks, certbot, vhost switch (`applyVhost`,
 * which renders from `ctx.tenant.tls`). Records the outcome in `tenant.acme`; throws only
 * when the host has no ACME account or the run is aborted.
 */
export async function attemptAcme(ctx: TenantStepContext, applyVhost: (ctx: TenantStepContext) => Promise<unknown>, signal?: AbortSignal): Promise<AcmeAttempt> {
  const {tenant, host, conn} = ctx
  const account = host.acme
  if (!account) {
    throw usageError('ACME_NOT_CONFIGURED', `${host.id} has no ACME account.`, [`Set one up: odoops host prepare ${host.id} --odoo ${tenant.series} --acme-email <address>`])
  }
  const acme: TenantAcmeRecord = tenant.acme ?? {certName: tenant.id, domains: [tenant.domain, ...(tenant.aliases ?? [])], status: 'pending'}
  const attemptAt = new Date().toISOString()
  try {
    await runChecks(ctx, acme.domains, signal)
    signal?.throwIfAborted()
    let issued: {certificate: string; key: string}
    try {
      issued = await issueCertificate(conn, {certName: acme.certName, domains: acme.domains, server: account.server, email: account.email, caBundle: account.caBundle})
    } catch (error) {
      if (error instanceof OdoopsError && error.code === 'ACME_ISSUANCE_FAILED') throw new CheckFailed('issuance', typeof error.data?.certbot === 'string' ? error.data.certbot : error.message)
      throw error
    }
    const pem = await readRemoteFile(conn, issued.certificate)
    const cert = pem ? new X509Certificate(pem) : undefined
    await saveTenant(ctx, {
      tls: {certificate: issued.certificate, key: issued.key, selfSigned: false, acme: true},
      acme: {certName: acme.certName, domains: acme.domains, status: 'issued', lastAttemptAt: attemptAt, issuedAt: cert ? new Date(cert.validFrom).toISOString() : attemptAt, ...(cert ? {notAfter: new Date(cert.validTo).toISOString(), serial: cert.serialNumber} : {})},
    })
    await applyVhost(ctx)
    // A reload is asynchronous (nginx -s reload): return once nginx serves the new certificate.
    if (cert) {
      const want = cert.serialNumber.toUpperCase().replace(/^0+/, '')
      const served = await pollUntil(() => servedSerial(conn, tenant.domain), (s) => s?.replace(/^0+/, '') === want, {timeoutMs: 20_000, intervalMs: 500, signal})
      if (served?.replace(/^0+/, '') !== want) throw new Error(`nginx on ${host.id} still serves another certificate for ${tenant.domain} (serial ${served ?? 'none'}) 20 s after the reload`)
    }
    return {status: 'issued', certificate: issued.certificate}
  } catch (error) {
    if (!(error instanceof CheckFailed) && signal?.aborted) throw error
    // Anything else (SSH, nginx) counts as the issuance failing: recorded, and the tenant keeps its certificate.
    const failed = error instanceof CheckFailed ? error : new CheckFailed('issuance', messageOf(error))
    await saveTenant(ctx, {acme: {certName: acme.certName, domains: acme.domains, status: 'failed', failedCheck: failed.check, error: failed.message, lastAttemptAt: attemptAt, ...(acme.issuedAt ? {issuedAt: acme.issuedAt, notAfter: acme.notAfter, serial: acme.serial} : {})}})
    return {status: 'failed', failedCheck: failed.check, message: failed.message}
  }
}

/** DNS from here and from the host, then the challenge path through port 80 of the address the name resolves to. */
async function runChecks(ctx: TenantStepContext, domains: string[], signal?: AbortSignal): Promise<void> {
  const {conn, host} = ctx
  const resolver = ctx.env.acmeResolver
  const expected = await hostAddresses(host.address)
  const via = resolver ? ` (asking ${resolver.address}:${resolver.port})` : ''
  for (const domain of domains) {
    signal?.throwIfAborted()
    let here: string[]
    try {
      here = await resolveOnOperator(domain, resolver)
    } catch (error) {
      throw new CheckFailed('dns', messageOf(error))
    }
    const matching = here.filter((a) => expected.includes(a))
    if (here.length === 0) throw new CheckFailed('dns', `${domain} does not resolve${via}; point its A/AAAA record at ${expected.join(', ') || host.address}`)
    if (matching.length === 0) throw new CheckFailed('dns', `${domain} resolves to ${here.join(', ')}${via}, not to ${host.id}'s address ${expected.join(', ') || host.address}`)
    let there: string[]
    try {
      there = await resolveOnHost(conn, domain, resolver)
    } catch (error) {
      throw new CheckFailed('host-dns', messageOf(error))
    }
    if (!there.some((a) => expected.includes(a))) {
      throw new CheckFailed('host-dns', `on ${host.id}, ${domain} resolves to ${there.join(', ') || 'nothing'}${via}, not to ${expected.join(', ')}`)
    }
    const token = `odoops-check-${randomBytes(12).toString('base64url')}`
    const content = randomBytes(18).toString('base64url')
    const path = await placeChallengeProbe(conn, token, content)
    try {
      const url = `/.well-known/acme-challenge/${token}`
      let answer: {status: number; body: string}
      try {
        answer = await httpGet(matching[0], domain, url)
      } catch (error) {
        throw new CheckFailed('http', `http://${domain}${url} on ${matching[0]} port 80: ${messageOf(error)}`)
      }
      if (answer.status !== 200 || answer.body.trim() !== content) {
        throw new CheckFailed('http', `http://${domain}${url} on ${matching[0]} port 80 answered ${answer.status}${answer.status === 200 ? ' with other content' : ''}, not the challenge file (is the vhost's /.well-known/acme-challenge/ location served there?)`)
      }
    } finally {
      await removeChallengeProbe(conn, path)
    }
  }
}
