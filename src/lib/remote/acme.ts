import {OdoopsError, usageError} from '../errors.js'
import {validateDomain} from '../names/domain.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, script, shell, type RemoteCommand} from '../ssh/quote.js'
import {ensurePackages} from './apt.js'
import {changeOf, ensureDirectory, ensureRemoteFile, removeRemotePath, type Change} from './files.js'
import {systemctl} from './systemd.js'

/**
 * ACME certificates on a host with Debian's `certbot` (docs/tls.md): one ACME account per
 * host (`certbot register`), HTTP-01 challenges answered by nginx from one webroot that
 * every tenant vhost serves on port 80 (`certbot certonly --webroot`), renewal by certbot's
 * own systemd timer, and a deploy hook that reloads nginx after each renewal. Every
 * command is built with the quoting helper (src/lib/ssh/quote.ts).
 */
export const ACME_WEBROOT = '/var/lib/odoops/acme-webroot'
/** Where the CA bundle of a private or test ACME server goes (`host prepare --acme-ca-bundle`). */
export const ACME_CA_BUNDLE = '/etc/odoops/acme-ca.pem'
/** certbot runs executables in this directory after every successful renewal (certbot docs, "Renewing certificates"). */
export const DEPLOY_HOOK = '/etc/letsencrypt/renewal-hooks/deploy/odoops-reload-nginx'
/** A drop-in for Debian's certbot.service, so the timer's renewals trust the CA bundle too. */
export const CERTBOT_DROPIN_DIR = '/etc/systemd/system/certbot.service.d'
export const CERTBOT_DROPIN = `${CERTBOT_DROPIN_DIR}/odoops-ca-bundle.conf`
/** The packages of the ACME step: certbot, and dig for the host-side DNS check with a given resolver. */
export const ACME_PACKAGES = ['certbot', 'bind9-dnsutils'] as const

export const ACME_SERVERS = {
  production: 'https://acme-v02.api.letsencrypt.org/directory',
  staging: 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const

/** `production`, `staging` or an https directory URL → the directory URL. */
export function resolveAcmeServer(value: string | undefined): string {
  const text = (value ?? 'production').trim()
  if (text === 'production' || text === 'staging') return ACME_SERVERS[text]
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw usageError('ACME_SERVER_INVALID', `"${text}" is not an ACME directory URL.`, ['Use production, staging or the https URL of the ACME directory (e.g. https://acme.example.com/directory).'])
  }
  if (url.protocol !== 'https:' || url.username || url.password) {
    throw usageError('ACME_SERVER_INVALID', `"${text}" is not an https ACME directory URL without credentials.`, ['ACME servers are reached over https: use production, staging or an https:// directory URL.'])
  }
  return url.href
}

const EMAIL = /^[^\s@"'<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/

export function validateAcmeEmail(email: string): string {
  const text = email.trim()
  if (!EMAIL.test(text)) throw usageError('ACME_EMAIL_INVALID', `"${email}" is not an email address.`, ['Pass the address the CA sends expiry notices to: --acme-email ops@example.com'])
  return text
}

/**
 * Certificate lineage names (`--cert-name`): the tenant slug, so live/<name>/ paths stay stable;
 * after `tenant set-domain`, `<slug>.<n>` (a dot no slug has), the old lineage serving the redirect.
 */
const CERT_NAME = /^[a-z][a-z0-9-]{1,62}(\.[0-9]{1,4})?$/

export function liveCertificatePaths(certName: string): {certificate: string; key: string} {
  if (!CERT_NAME.test(certName)) throw new OdoopsError('ACME_CERT_NAME_INVALID', `"${certName}" is not a certificate name.`)
  return {certificate: `/etc/letsencrypt/live/${certName}/fullchain.pem`, key: `/etc/letsencrypt/live/${certName}/privkey.pem`}
}

/** How odoops runs certbot: with the CA bundle when the host has one (requests reads REQUESTS_CA_BUNDLE). */
function certbot(args: readonly string[], caBundle?: string): RemoteCommand {
  return caBundle ? shell`env ${`REQUESTS_CA_BUNDLE=${caBundle}`} ${command(['certbot', ...args])}` : command(['certbot', ...args])
}

const DEPLOY_HOOK_SCRIPT = `#!/bin/sh
# Managed by odoops: certbot runs this after each renewal; nginx picks up the new certificate.
set -e
nginx -t -q
systemctl reload nginx.service
`

function dropIn(caBundle: string): string {
  return `# Managed by odoops: certbot's renewals trust the ACME server's CA bundle.
[Service]
Environment=REQUESTS_CA_BUNDLE=${caBundle}
`
}

export interface AcmeAccountSpec {
  email: string
  server: string
  /** PEM of the CA the ACME server's TLS certificate chains to (a private or test CA). */
  caBundle?: string
}

export interface AcmeSetupResult {
  change: Change
  details: string[]
}

/**
 * certbot installed, the webroot, the CA bundle (and certbot.service drop-in), the account
 * registered for `server`, the deploy hook, and certbot.timer enabled. Each part unchanged
 * when it already is so.
 */
export async function ensureAcmeSetup(conn: SshConnection, spec: AcmeAccountSpec): Promise<AcmeSetupResult> {
  const changes: Change[] = []
  const details: string[] = []
  changes.push(await ensurePackages(conn, ACME_PACKAGES))
  changes.push(await ensureDirectory(conn, '/var/lib/odoops', {mode: 0o755}))
  changes.push(await ensureDirectory(conn, ACME_WEBROOT, {mode: 0o755}))
  changes.push(await ensureDirectory(conn, `${ACME_WEBROOT}/.well-known`, {mode: 0o755}))
  changes.push(await ensureDirectory(conn, `${ACME_WEBROOT}/.well-known/acme-challenge`, {mode: 0o755}))
  let caBundle: string | undefined
  if (spec.caBundle) {
    caBundle = ACME_CA_BUNDLE
    changes.push(await ensureDirectory(conn, '/etc/odoops', {mode: 0o755}))
    changes.push(await ensureRemoteFile(conn, ACME_CA_BUNDLE, spec.caBundle, {mode: 0o644}))
    changes.push(await ensureDirectory(conn, CERTBOT_DROPIN_DIR, {mode: 0o755}))
    const dropInChange = await ensureRemoteFile(conn, CERTBOT_DROPIN, dropIn(ACME_CA_BUNDLE), {mode: 0o644})
    if (dropInChange === 'changed') await systemctl(conn, 'daemon-reload')
    changes.push(dropInChange)
    details.push(`CA bundle ${ACME_CA_BUNDLE}`)
  } else {
    // No bundle asked for: one left by an earlier run would make certbot trust a test CA.
    const removed = [await removeRemotePath(conn, CERTBOT_DROPIN), await removeRemotePath(conn, ACME_CA_BUNDLE)]
    if (removed[0] === 'changed') await systemctl(conn, 'daemon-reload')
    changes.push(...removed)
  }
  changes.push(await ensureAccount(conn, spec, caBundle))
  details.push(`account ${spec.email} at ${spec.server}`)
  changes.push(await ensureDirectory(conn, '/etc/letsencrypt/renewal-hooks/deploy', {mode: 0o755}))
  changes.push(await ensureRemoteFile(conn, DEPLOY_HOOK, DEPLOY_HOOK_SCRIPT, {mode: 0o755}))
  changes.push(await ensureTimerEnabled(conn))
  details.push('certbot.timer enabled')
  return {change: changes.includes('changed') ? 'changed' : 'unchanged', details}
}

/** `certbot show_account` knows an account for the server with this email, or one is registered (or its email updated). */
async function ensureAccount(conn: SshConnection, spec: AcmeAccountSpec, caBundle?: string): Promise<Change> {
  const shown = await conn.exec(certbot(['show_account', '--non-interactive', '--server', spec.server], caBundle), {root: true, timeoutMs: 120_000})
  const out = shown.stdout.toString('utf8') + shown.stderr.toString('utf8')
  if (shown.code === 0) {
    if (out.includes(spec.email)) return 'unchanged'
    await runCertbot(conn, ['update_account', '--non-interactive', '--server', spec.server, '-m', spec.email], caBundle, 'update the ACME account')
    return 'changed'
  }
  await runCertbot(conn, ['register', '--non-interactive', '--agree-tos', '--no-eff-email', '--server', spec.server, '-m', spec.email], caBundle, 'register the ACME account')
  return 'changed'
}

async function ensureTimerEnabled(conn: SshConnection): Promise<Change> {
  const out = await conn.run(
    script([
      shell`if [ "$(systemctl is-enabled certbot.timer 2>/dev/null || true)" = enabled ] && systemctl is-active --quiet certbot.timer; then echo unchanged; exit 0; fi`,
      shell`systemctl enable --now certbot.timer >/dev/null 2>&1`,
      shell`echo changed`,
    ]),
    {root: true},
  )
  return changeOf(out)
}

async function runCertbot(conn: SshConnection, args: string[], caBundle: string | undefined, what: string): Promise<string> {
  const result = await conn.exec(certbot(args, caBundle), {root: true, timeoutMs: 600_000})
  const output = (result.stdout.toString('utf8') + result.stderr.toString('utf8')).trim()
  if (result.code !== 0) {
    throw new OdoopsError('ACME_CERTBOT_FAILED', `certbot could not ${what} on ${conn.target.name} (exit ${result.code ?? result.signal}):\n${certbotSummary(output)}`, {
      suggestions: ['The lines above are certbot\'s own; its full log is /var/log/letsencrypt/letsencrypt.log on the host.'],
      data: {certbot: certbotSummary(output)},
    })
  }
  return output
}

/** certbot's own error lines, without the boilerplate about logs and community forums. */
export function certbotSummary(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l && !/^(Saving debug log|Ask for help|See the logfile|Some challenges have failed\.?$|- - - )/.test(l))
  return lines.slice(-15).join('\n')
}

export interface IssueSpec {
  certName: string
  domains: string[]
  server: string
  email: string
  /** The host has a CA bundle for the server (ACME_CA_BUNDLE). */
  caBundle: boolean
}

/**
 * `certbot certonly --webroot` for the domains under one lineage name. certbot keeps a
 * certificate that still covers the names and is not due (`--keep-until-expiring`), so a
 * second run asks the CA nothing. Throws ACME_ISSUANCE_FAILED with certbot's own words.
 */
export async function issueCertificate(conn: SshConnection, spec: IssueSpec): Promise<{certificate: string; key: string; output: string}> {
  const domains = spec.domains.map(validateDomain)
  const paths = liveCertificatePaths(spec.certName)
  const args = ['certonly', '--webroot', '-w', ACME_WEBROOT, '--cert-name', spec.certName, ...domains.flatMap((d) => ['-d', d]), '--non-interactive', '--agree-tos', '-m', spec.email, '--server', spec.server, '--keep-until-expiring', '--expand']
  const result = await conn.exec(certbot(args, spec.caBundle ? ACME_CA_BUNDLE : undefined), {root: true, timeoutMs: 600_000})
  const output = (result.stdout.toString('utf8') + result.stderr.toString('utf8')).trim()
  if (result.code !== 0) {
    const problem = await lastAcmeProblem(conn)
    const summary = certbotSummary(output) + (problem && !output.includes(problem) ? `\nACME server: ${problem}` : '')
    throw new OdoopsError('ACME_ISSUANCE_FAILED', `certbot could not get a certificate for ${domains.join(', ')}: ${summary}`, {
      data: {check: 'issuance', certbot: summary},
    })
  }
  return {...paths, output: certbotSummary(output)}
}

/**
 * The last ACME problem (`type`: `detail`) in certbot's log of this run (certbot starts a new
 * letsencrypt.log per run). certbot 2.1 on Python 3.11 (Debian bookworm) prints
 * "AttributeError: can't set attribute" instead of some server errors (certbot issue #9539);
 * the server's own words are still in its log.
 */
async function lastAcmeProblem(conn: SshConnection): Promise<string | undefined> {
  const result = await conn.exec(
    script([shell`tail -n 400 /var/log/letsencrypt/letsencrypt.log 2>/dev/null | tr -d '\n' | grep -oE '"type": *"urn:ietf:params:acme:error:[A-Za-z]+",[^}]*"detail": *"[^"]*"' | tail -n 1 || true`]),
    {root: true, timeoutMs: 30_000},
  )
  const text = result.stdout.toString('utf8')
  const type = /acme:error:([A-Za-z]+)/.exec(text)?.[1]
  const detail = /"detail": *"([^"]*)"/.exec(text)?.[1]
  return type && detail ? `${type}: ${detail}` : undefined
}

/** `certbot delete` of a lineage (stops its renewal); unchanged when certbot has none of that name. */
export async function deleteCertificate(conn: SshConnection, certName: string): Promise<Change> {
  liveCertificatePaths(certName)
  const out = await conn.run(
    script([
      shell`if ! command -v certbot >/dev/null 2>&1 || [ ! -e ${`/etc/letsencrypt/renewal/${certName}.conf`} ]; then echo unchanged; exit 0; fi`,
      shell`certbot delete --non-interactive --cert-name ${certName} >/dev/null`,
      shell`echo changed`,
    ]),
    {root: true, timeoutMs: 120_000},
  )
  return changeOf(out)
}

/** A file the challenge check fetches through port 80: `<webroot>/.well-known/acme-challenge/<token>`. */
export async function placeChallengeProbe(conn: SshConnection, token: string, content: string): Promise<string> {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new OdoopsError('ACME_TOKEN_INVALID', 'A challenge probe token must be URL-safe.')
  const path = `${ACME_WEBROOT}/.well-known/acme-challenge/${token}`
  await ensureRemoteFile(conn, path, content, {mode: 0o644})
  return path
}

export async function removeChallengeProbe(conn: SshConnection, path: string): Promise<void> {
  await removeRemotePath(conn, path)
}

/**
 * The addresses `domain` resolves to on the host: with `resolver` ("ip" or "ip:port"),
 * asked with dig there; otherwise the host's own resolver (getent ahosts).
 */
export async function resolveOnHost(conn: SshConnection, domain: string, resolver?: {address: string; port: number}): Promise<string[]> {
  const name = validateDomain(domain)
  const cmd = resolver
    ? script([
        shell`for t in A AAAA; do dig +short +time=3 +tries=2 ${`@${resolver.address}`} -p ${resolver.port} "$t" ${name} || exit 9; done`,
      ])
    : script([shell`getent ahosts ${name} | awk '{print $1}' | sort -u || true`])
  const result = await conn.exec(cmd, {root: true, timeoutMs: 30_000})
  if (result.code !== 0) {
    throw new OdoopsError('ACME_HOST_DNS_FAILED', `${conn.target.name} could not ask ${resolver ? `${resolver.address}:${resolver.port}` : 'its resolver'} for ${name}: ${result.stderr.toString('utf8').trim() || `exit ${result.code}`}`)
  }
  // dig +short also prints CNAME targets (ending in a dot): keep the addresses.
  return [...new Set(result.stdout.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.endsWith('.') && !l.startsWith(';')))]
}

/**
 * The serial (upper-case hex) of the certificate nginx on the host serves for `domain` on
 * 443 (SNI), read with openssl on the host's loopback; undefined when the handshake fails.
 */
export async function servedSerial(conn: SshConnection, domain: string): Promise<string | undefined> {
  const name = validateDomain(domain)
  const result = await conn.exec(
    script([shell`openssl s_client -connect 127.0.0.1:443 -servername ${name} </dev/null 2>/dev/null | openssl x509 -noout -serial 2>/dev/null || true`]),
    {root: true, timeoutMs: 30_000},
  )
  const match = /serial=([0-9A-Fa-f]+)/.exec(result.stdout.toString('utf8'))
  return match ? match[1].toUpperCase() : undefined
}
