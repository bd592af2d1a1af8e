import {messageOf} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell, type RemoteCommand} from '../ssh/quote.js'
import type {TenantRecord} from '../state/records.js'

/**
 * The certificate nginx serves for each tenant, read on its host (docs/fleet.md,
 * "Certificates"): `openssl x509` of the file recorded on the tenant (`tls.certificate`:
 * /etc/letsencrypt/live/<slug>/fullchain.pem for ACME tenants, the self-signed or given path
 * otherwise), and for ACME tenants the last failed renewal in certbot's logs. One SSH round
 * trip per host for all its tenants.
 */
export interface TenantCertificate {
  /** The file nginx serves (the tenant's `tls.certificate`). */
  path: string
  /** The issuer's CN (or O when it has no CN); null when unreadable. */
  issuer: string | null
  /** The issuer's distinguished name as openssl prints it (RFC 2253). */
  issuerDn: string | null
  /** End of validity (ISO 8601); null when unreadable. */
  notAfter: string | null
  /** Whole days from now to notAfter (negative once expired); null when unreadable. */
  daysLeft: number | null
  /** Why the file could not be read (missing, not a certificate); absent when read. */
  error?: string
  /**
   * ACME tenants: the last renewal attempt of its certbot lineage failed (certbot's
   * /var/log/letsencrypt logs) and no certificate was saved since; null otherwise.
   */
  renewalFailure: {certName: string; at: string; reason: string} | null
}

/** Below this many days a warning, below CERT_BREACH_DAYS a breach (docs/fleet.md). */
export const CERT_WARN_DAYS = 21
export const CERT_BREACH_DAYS = 7
/** certbot keeps one log file per run (letsencrypt.log, .1, .2 …): the newest this many are read. */
export const CERTBOT_LOGS_READ = 60

const DAY_MS = 86_400_000
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** openssl's `notAfter=Dec  5 04:00:00 2026 GMT` → ISO 8601, or null. */
export function parseOpensslDate(text: string): string | null {
  const m = /^([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s+GMT$/.exec(text.trim())
  if (!m) return null
  const month = MONTHS.indexOf(m[1])
  if (month < 0) return null
  return new Date(Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]))).toISOString()
}

/** `CN=Pebble Intermediate CA 6e4a2f,O=Example` → the CN, else the O, else the whole name. */
export function issuerName(dn: string): string {
  const parts = dn.split(/(?<!\\),/).map((p) => p.trim())
  const attr = (key: string) => parts.find((p) => p.startsWith(`${key}=`))?.slice(key.length + 1).replaceAll('\\', '')
  return attr('CN') ?? attr('O') ?? dn
}

/** The tenants whose certificate is read: active or stopped, with a recorded certificate path. */
export function certificateTenants(tenants: readonly TenantRecord[]): TenantRecord[] {
  return tenants.filter((t) => (t.state === 'active' || t.state === 'stopped') && typeof t.tls?.certificate === 'string' && t.tls.certificate !== '')
}

/** The one script of a host: each tenant's certificate, then certbot's renewal failures (file mtime, line). */
export function certificateScript(tenants: readonly TenantRecord[]): RemoteCommand {
  const lines: RemoteCommand[] = []
  for (const t of tenants) {
    const path = t.tls!.certificate
    lines.push(
      shell`echo ${`@@cert ${t.id}`}`,
      shell`if out=$(openssl x509 -in ${path} -noout -issuer -enddate -nameopt RFC2253 2>&1); then printf '%s\n' "$out"; echo "@@mtime $(stat -L -c %Y ${path} 2>/dev/null || echo 0)"; else printf '@@error %s\n' "$(printf '%s' "$out" | head -n 1)"; fi`,
    )
  }
  if (tenants.some((t) => t.tls?.acme)) {
    lines.push(
      shell`echo @@logs`,
      shell`for f in $(ls -1t /var/log/letsencrypt/letsencrypt.log* 2>/dev/null | grep -v '[.]gz$' | head -n ${CERTBOT_LOGS_READ} || true); do m=$(stat -c %Y "$f" 2>/dev/null || echo 0); { grep -a 'Failed to renew certificate ' "$f" || true; } | sed "s|^|@@fail $m |"; done`,
    )
  }
  return script(lines)
}

interface Parsed {
  certs: Map<string, {issuerDn?: string; notAfter?: string; mtime?: number; error?: string}>
  /** certbot failure lines: file mtime (epoch s), cert name, reason. */
  failures: {mtime: number; certName: string; reason: string}[]
}

export function parseCertificateOutput(out: string): Parsed {
  const certs: Parsed['certs'] = new Map()
  const failures: Parsed['failures'] = []
  let current: {issuerDn?: string; notAfter?: string; mtime?: number; error?: string} | undefined
  for (const line of out.split('\n')) {
    if (line.startsWith('@@cert ')) {
      current = {}
      certs.set(line.slice(7).trim(), current)
    } else if (line === '@@logs') {
      current = undefined
    } else if (line.startsWith('@@fail ')) {
      const m = /^@@fail (\d+) .*Failed to renew certificate (\S+) with error: (.*)$/.exec(line)
      if (m) failures.push({mtime: Number(m[1]), certName: m[2], reason: m[3].trim()})
    } else if (current) {
      if (line.startsWith('issuer=')) current.issuerDn = line.slice(7).trim()
      else if (line.startsWith('notAfter=')) current.notAfter = line.slice(9).trim()
      else if (line.startsWith('@@mtime ')) current.mtime = Number(line.slice(8))
      else if (line.startsWith('@@error ')) current.error = line.slice(8).trim() || 'openssl could not read it'
    }
  }
  return {certs, failures}
}

/** Pure: the certificate of one tenant from its host's parsed output. */
export function tenantCertificate(tenant: TenantRecord, parsed: Parsed, now: Date): TenantCertificate {
  const path = tenant.tls!.certificate
  const got = parsed.certs.get(tenant.id)
  const certName = tenant.acme?.certName ?? tenant.id
  let renewalFailure: TenantCertificate['renewalFailure'] = null
  if (tenant.tls?.acme) {
    // The newest run that failed for this lineage, unless a certificate was saved after it.
    const last = parsed.failures.filter((f) => f.certName === certName).sort((a, b) => b.mtime - a.mtime)[0]
    if (last && (got?.mtime === undefined || last.mtime >= got.mtime)) renewalFailure = {certName, at: new Date(last.mtime * 1000).toISOString(), reason: last.reason}
  }
  const notAfter = got?.notAfter ? parseOpensslDate(got.notAfter) : null
  if (!got || got.error || !got.issuerDn || !notAfter) {
    return {path, issuer: null, issuerDn: null, notAfter: null, daysLeft: null, error: got?.error ?? (got ? `openssl printed no issuer or end date for ${path}` : 'not read'), renewalFailure}
  }
  return {
    path,
    issuer: issuerName(got.issuerDn),
    issuerDn: got.issuerDn,
    notAfter,
    daysLeft: Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS),
    renewalFailure,
  }
}

/**
 * The certificates of one host's tenants, by slug, in one round trip. A host whose command
 * fails gives an empty map (its other checks say what is wrong with it).
 */
export async function hostCertificates(conn: SshConnection, tenants: readonly TenantRecord[], now: Date): Promise<{certificates: Map<string, TenantCertificate>; error?: string}> {
  const probed = certificateTenants(tenants)
  const certificates = new Map<string, TenantCertificate>()
  if (probed.length === 0) return {certificates}
  try {
    const result = await conn.exec(certificateScript(probed), {root: true, timeoutMs: 60_000})
    if (result.code !== 0) return {certificates, error: `reading the certificates failed: ${result.stderr.toString('utf8').trim().split('\n')[0] ?? ''}`}
    const parsed = parseCertificateOutput(result.stdout.toString('utf8'))
    for (const t of probed) certificates.set(t.id, tenantCertificate(t, parsed, now))
    return {certificates}
  } catch (error) {
    return {certificates, error: messageOf(error)}
  }
}
