import {createPrivateKey, X509Certificate} from 'node:crypto'
import {messageOf, usageError} from '../errors.js'
import {validateDomain} from '../names/domain.js'
import {registerSecret} from '../secrets/redact.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell} from '../ssh/quote.js'
import {changeOf, ensureDirectory, ensureRemoteFile, type Change} from './files.js'

/**
 * TLS certificates for tenant domains, under /etc/odoops/tls/ on the host: `<domain>.crt`
 * (0644) and `<domain>.key` (0600, root: nginx's master process reads it as root before
 * dropping privileges). ACME would be a third way to fill the same two files.
 */
export const TLS_DIR = '/etc/odoops/tls'

export interface CertificateFiles {
  certificate: string
  key: string
  change: Change
}

/** Regenerate a self-signed certificate this close to its end (30 days, `openssl x509 -checkend`). */
const RENEW_BEFORE_SECONDS = 30 * 86_400

export function certificatePaths(domain: string): {certificate: string; key: string} {
  const name = validateDomain(domain)
  return {certificate: `${TLS_DIR}/${name}.crt`, key: `${TLS_DIR}/${name}.key`}
}

async function ensureTlsDir(conn: SshConnection): Promise<Change> {
  await ensureDirectory(conn, '/etc/odoops', {mode: 0o755})
  return ensureDirectory(conn, TLS_DIR, {mode: 0o755})
}

/**
 * A self-signed certificate for `domain` (CN and subjectAltName), made by openssl on the
 * host so the key never leaves it. Unchanged while one for that name exists and stays
 * valid for more than 30 days.
 */
export async function ensureSelfSignedCertificate(conn: SshConnection, domain: string): Promise<CertificateFiles> {
  const name = validateDomain(domain)
  const {certificate, key} = certificatePaths(name)
  const dirChange = await ensureTlsDir(conn)
  const out = await conn.run(
    script([
      shell`if [ -s ${certificate} ] && [ -s ${key} ] && openssl x509 -in ${certificate} -noout -checkend ${RENEW_BEFORE_SECONDS} >/dev/null 2>&1 && openssl x509 -in ${certificate} -noout -ext subjectAltName 2>/dev/null | grep -qxF ${`    DNS:${name}`}; then echo unchanged; exit 0; fi`,
      shell`umask 077`,
      shell`tmpkey=$(mktemp -- ${key}.odoops-XXXXXX); tmpcrt=$(mktemp -- ${certificate}.odoops-XXXXXX)`,
      shell`trap 'rm -f -- "$tmpkey" "$tmpcrt"' EXIT`,
      shell`openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days 825 -subj ${`/CN=${name}`} -addext ${`subjectAltName=DNS:${name}`} -keyout "$tmpkey" -out "$tmpcrt" 2>/dev/null`,
      shell`chmod 600 "$tmpkey"; chmod 644 "$tmpcrt"; chown root:root "$tmpkey" "$tmpcrt"`,
      shell`mv -f -- "$tmpkey" ${key}`,
      shell`mv -f -- "$tmpcrt" ${certificate}`,
      shell`echo changed`,
    ]),
    {root: true},
  )
  const change = changeOf(out)
  return {certificate, key, change: change === 'changed' || dirChange === 'changed' ? 'changed' : 'unchanged'}
}

/** Checks locally that the PEM files hold a certificate and the private key that matches it. */
export function checkCertificatePair(certPem: string, keyPem: string, domain?: string): void {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (error) {
    throw usageError('TLS_CERTIFICATE_INVALID', `The certificate is not a PEM X.509 certificate (${messageOf(error)}).`, ['Pass the certificate file (-----BEGIN CERTIFICATE-----), with its chain after it.'])
  }
  let matches: boolean
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem))
  } catch (error) {
    throw usageError('TLS_KEY_INVALID', `The private key is not a PEM private key (${messageOf(error)}).`, ['Pass the unencrypted key file (-----BEGIN PRIVATE KEY-----).'])
  }
  if (!matches) throw usageError('TLS_KEY_MISMATCH', 'The private key does not belong to the certificate.', ['Pass the key that was used to request this certificate.'])
  if (domain && cert.checkHost(validateDomain(domain)) === undefined) {
    throw usageError('TLS_CERTIFICATE_DOMAIN', `The certificate is not valid for ${domain} (${cert.subjectAltName ?? cert.subject}).`, [`Use a certificate issued for ${domain}.`])
  }
}

/** Installs a certificate (with its chain) and key given by the operator; both sent on stdin. */
export async function installCertificate(conn: SshConnection, domain: string, certPem: string, keyPem: string): Promise<CertificateFiles> {
  registerSecret(keyPem.trim())
  checkCertificatePair(certPem, keyPem, domain)
  const {certificate, key} = certificatePaths(domain)
  const changes = [
    await ensureTlsDir(conn),
    await ensureRemoteFile(conn, key, keyPem, {mode: 0o600}),
    await ensureRemoteFile(conn, certificate, certPem, {mode: 0o644}),
  ]
  return {certificate, key, change: changes.includes('changed') ? 'changed' : 'unchanged'}
}
