/**
 * Real Odoo for the `@real` test tier: the community packages in `../shared/odoo/<series>/`
 * (flat apt repositories, test data outside the repo; ODOOPS_REAL_ODOO_DIR overrides where
 * they are), and probes that ask the host's real Odoo itself, with its own code, what a
 * database holds, independent of odoops' clients.
 *
 *   for (const {series, dir} of realSeries().present) …preparedHost(`r19`, {real: {series, dir}})
 *   const facts = await odooProbe(host.sandbox, host.prepare.service.config, database, 'print_json({...})')
 */
import {existsSync, readdirSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {ROOT} from './cli.js'
import {sshRun, type SandboxInfo} from './sandbox.js'

/** The series the product supports; each must pass the tier or be refused by the product. */
export const SUPPORTED_REAL_SERIES = ['17.0', '18.0', '19.0']

export function realOdooDir(): string | undefined {
  const candidates = [process.env.ODOOPS_REAL_ODOO_DIR, join(ROOT, '..', 'shared', 'odoo'), '/work/shared/odoo'].filter((d): d is string => Boolean(d))
  return candidates.map((d) => resolve(d)).find((d) => existsSync(d))
}

/** Series with a package present (a `Packages` index and one .deb), and the supported ones missing. */
export function realSeries(): {present: {series: string; dir: string}[]; missing: string[]; root?: string} {
  const root = realOdooDir()
  const present: {series: string; dir: string}[] = []
  for (const series of SUPPORTED_REAL_SERIES) {
    const dir = root ? join(root, series) : undefined
    if (dir && existsSync(join(dir, 'Packages')) && readdirSync(dir).some((f) => f.endsWith('.deb'))) present.push({series, dir})
  }
  return {present, missing: SUPPORTED_REAL_SERIES.filter((s) => !present.some((p) => p.series === s)), root}
}

/**
 * Runs Python inside `odoo shell` on the host, as the `odoo` user, against `database` with
 * the given config (shell executes stdin when it is not a terminal, odoo/cli/shell.py; `env`
 * is the superuser environment). The script calls `print_json(value)`; the value comes back
 * parsed. Writes are committed only if the script calls env.cr.commit().
 */
export async function odooProbe<T = any>(sandbox: SandboxInfo, config: string, database: string, script: string, options: {timeoutMs?: number} = {}): Promise<T> {
  const prelude = "import json as _json\ndef print_json(value):\n    print('ODOOPS_PROBE ' + _json.dumps(value, default=str), flush=True)\n"
  const command = `runuser -u odoo -- odoo shell -c '${config}' -d '${database}' --no-http --log-level=warn`
  const result = await sshRun(sandbox, command, {input: prelude + script + '\n', timeoutMs: options.timeoutMs ?? 180_000})
  const line = result.stdout.split('\n').find((l) => l.startsWith('ODOOPS_PROBE '))
  if (!line) throw new Error(`odoo shell probe on ${database} printed no result (exit ${result.exitCode}):\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`)
  return JSON.parse(line.slice('ODOOPS_PROBE '.length)) as T
}

/** Runs a plain Python script as the `odoo` user with the host's Odoo importable (import odoo.cli first: 19.0's odoo is a namespace package). */
export async function odooPython(sandbox: SandboxInfo, script: string, options: {timeoutMs?: number} = {}): Promise<{code: number; stdout: string; stderr: string}> {
  const result = await sshRun(sandbox, 'cd /tmp && runuser -u odoo -- python3 -', {input: `import odoo.cli\n${script}\n`, timeoutMs: options.timeoutMs ?? 300_000})
  return {code: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr}
}

/** Row counts of the tables a restore must keep, read by Odoo's cursor. */
export const ROW_COUNTS_SCRIPT = `
tables = ['res_users', 'res_partner', 'res_company', 'ir_module_module', 'ir_attachment', 'ir_model_data', 'res_groups', 'ir_ui_view', 'account_account', 'account_tax']
out = {}
for t in tables:
    env.cr.execute("SELECT to_regclass(%s)", [t])
    if env.cr.fetchone()[0]:
        env.cr.execute('SELECT count(*) FROM "%s"' % t)
        out[t] = env.cr.fetchone()[0]
print_json(out)
`

/**
 * GET https://<domain><path> through the host's nginx, with the domain in the TLS handshake
 * (SNI: nginx's default TLS server refuses unknown names), as `curl --resolve
 * <domain>:443:127.0.0.1` would; Python's standard library only (no curl on the image).
 */
export async function httpsGet(sandbox: SandboxInfo, domain: string, path: string): Promise<{status: number; body: string}> {
  const script = `
import http.client, socket, ssl, sys, json
domain, path = sys.argv[1], sys.argv[2]
real = socket.create_connection
socket.create_connection = lambda address, *a, **k: real(('127.0.0.1', address[1]), *a, **k)
c = http.client.HTTPSConnection(domain, 443, context=ssl._create_unverified_context(), timeout=60)
c.request('GET', path)
r = c.getresponse()
print(json.dumps({'status': r.status, 'body': r.read().decode('utf-8', 'replace')}))
`
  const result = await sshRun(sandbox, `python3 - '${domain}' '${path}'`, {input: script})
  if (result.exitCode !== 0) throw new Error(`GET https://${domain}${path} failed: ${result.stderr.slice(-1000)}`)
  return JSON.parse(result.stdout.trim()) as {status: number; body: string}
}

/** The HTTP status of GET https://<domain><path> through the host's nginx (httpsGet). */
export async function httpsStatus(sandbox: SandboxInfo, domain: string, path: string): Promise<number> {
  return (await httpsGet(sandbox, domain, path)).status
}
