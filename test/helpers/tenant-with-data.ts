import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {passwordFrom} from '../tenants/remote-checks.js'
import {runCli} from './cli.js'
import type {PreparedHost} from './prepared-host.js'
import {sshRun, type SandboxInfo} from './sandbox.js'

export interface TenantWithData {
  slug: string
  domain: string
  database: string
  /** Odoo's filestore of the database on the host. */
  filestore: string
  credentials: string
  password: string
}

/** Runs a bash script on the sandbox (sent base64-encoded: no quoting games). */
export async function sandboxScript(sandbox: SandboxInfo, lines: string[]): Promise<string> {
  const result = await sshRun(sandbox, `echo ${Buffer.from(['set -euo pipefail', ...lines].join('\n')).toString('base64')} | base64 -d | bash`, {timeoutMs: 300_000})
  if (result.exitCode !== 0) throw new Error(`sandbox script failed (exit ${result.exitCode}): ${result.stderr}`)
  return result.stdout
}

/**
 * Adds `count` attachments the way Odoo stores them (`<sha1[:2]>/<sha1>` under the
 * filestore, one ir_attachment row each) and `count` contacts, with the system's own tools.
 */
export async function addData(sandbox: SandboxInfo, database: string, filestore: string, count: number, tag = randomBytes(3).toString('hex')): Promise<void> {
  await sandboxScript(sandbox, [
    `rows=$(mktemp)`,
    `for i in $(seq 1 ${count}); do`,
    `  f=$(mktemp); head -c $((8000 + i * 997)) /dev/urandom > "$f"; s=$(sha1sum "$f" | cut -c1-40); n=$(stat -c %s "$f")`,
    `  mkdir -p '${filestore}'/\${s:0:2}; mv "$f" '${filestore}'/\${s:0:2}/$s; chmod 0640 '${filestore}'/\${s:0:2}/$s`,
    `  echo "INSERT INTO ir_attachment (name, type, store_fname, checksum, file_size, mimetype, create_date, write_date) VALUES ('${tag}-$i.bin', 'binary', '\${s:0:2}/$s', '$s', $n, 'application/octet-stream', now() at time zone 'utc', now() at time zone 'utc');"`,
    `  echo "INSERT INTO res_partner (name, active, type, create_date, write_date) VALUES ('Contact ${tag} $i', true, 'contact', now() at time zone 'utc', now() at time zone 'utc');"`,
    `done > "$rows"`,
    `chown -R odoo:odoo '${filestore}'`,
    `cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${database}' < "$rows"`,
    `rm -f "$rows"`,
  ])
}

/** A tenant created with the CLI on a prepared host, holding generated contacts and attachments. */
export async function tenantWithData(a: PreparedHost, options: {prefix: string; attachments?: number; mode?: 'shared' | 'dedicated'}): Promise<TenantWithData> {
  const slug = `${options.prefix}-${randomBytes(3).toString('hex')}`
  const domain = `${slug}.data.example.test`
  const credentials = join(mkdtempSync(join(tmpdir(), 'odoops-data-')), 'creds.txt')
  const mode = options.mode ?? 'shared'
  const created = await runCli(['tenant', 'create', slug, '--host', a.host, '--mode', mode, '--domain', domain, '--json', '--credentials-file', credentials], {env: a.env, timeoutMs: 300_000})
  expect(created.code, created.stdout + created.stderr).to.equal(0)
  const tenant = created.json.tenant as {database: string; service: {dataDir: string}}
  const filestore = `${tenant.service.dataDir}/filestore/${tenant.database}`
  await addData(a.sandbox, tenant.database, filestore, options.attachments ?? 12)
  return {slug, domain, database: tenant.database, filestore, credentials, password: passwordFrom(credentials)}
}

/**
 * A tenant created with the CLI on a prepared host under the given slug and domain, holding
 * `count` attachments of `bytes` random bytes each (poorly compressible) the way Odoo stores
 * them: `<sha1[:2]>/<sha1>` under the filestore, one ir_attachment row each (`<tag>-<i>.bin`).
 * With `maxBytes`, each file has a random size from `bytes` to `maxBytes` instead.
 */
export async function tenantWithAttachments(a: PreparedHost, slug: string, domain: string, options: {tag: string; count: number; bytes: number; maxBytes?: number}): Promise<void> {
  const {tag, count, bytes} = options
  const spread = Math.max(0, (options.maxBytes ?? bytes) - bytes)
  const credentials = join(mkdtempSync(join(tmpdir(), `odoops-${tag}-`)), 'creds.txt')
  const created = await runCli(['tenant', 'create', slug, '--host', a.host, '--domain', domain, '--json', '--credentials-file', credentials], {env: a.env, timeoutMs: 300_000})
  expect(created.code, created.stdout + created.stderr).to.equal(0)
  const store = `${a.prepare.service.dataDir}/filestore/${domain}`
  await sandboxScript(a.sandbox, [
    `for i in $(seq 1 ${count}); do`,
    `  f=$(mktemp); n=$((${bytes} + (RANDOM * 32768 + RANDOM) % ${spread + 1})); head -c $n /dev/urandom > "$f"; s=$(sha1sum "$f" | cut -c1-40)`,
    `  mkdir -p '${store}'/\${s:0:2}; mv "$f" '${store}'/\${s:0:2}/$s; chmod 0640 '${store}'/\${s:0:2}/$s`,
    `  echo "INSERT INTO ir_attachment (name, type, store_fname, checksum, file_size, mimetype, create_date, write_date) VALUES ('${tag}-$i.bin', 'binary', '\${s:0:2}/$s', '$s', $n, 'application/octet-stream', now() at time zone 'utc', now() at time zone 'utc');"`,
    `done > /tmp/${tag}-rows.sql`,
    `chown -R odoo:odoo '${store}'`,
    `runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d '${domain}' -f /tmp/${tag}-rows.sql`,
  ])
}

export interface DataFingerprint {
  counts: Record<string, number>
  /** `<sha1> <relative path>` of every filestore file, sorted. */
  files: string[]
}

/** What a tenant holds, read with psql and sha1sum on the host (independent of odoops' code). */
export async function dataFingerprint(sandbox: SandboxInfo, database: string, filestore: string): Promise<DataFingerprint> {
  const out = await sandboxScript(sandbox, [
    `cd / && runuser -u postgres -- psql -X -At -d '${database}' -c "SELECT json_build_object('res_partner', (SELECT count(*) FROM res_partner), 'res_users', (SELECT count(*) FROM res_users), 'ir_attachment', (SELECT count(*) FROM ir_attachment), 'ir_module_module_installed', (SELECT count(*) FROM ir_module_module WHERE state = 'installed'))"`,
    `echo ---`,
    `cd '${filestore}' && find . -type f -print0 | xargs -0 -r sha1sum | sort`,
  ])
  const [json, files] = out.split('---\n')
  return {counts: JSON.parse(json.trim()), files: files.split('\n').filter(Boolean)}
}
