import {parse as parseYaml} from 'yaml'
import {readFileSync} from 'node:fs'
import {sshRun, type SandboxInfo} from '../helpers/sandbox.js'

/**
 * Checks run ON the sandbox with Python's own clients (independent of odoops' code):
 * HTTPS through nginx with the tenant's name (mapped to 127.0.0.1 in /etc/hosts, so SNI
 * and Host are the tenant's domain, as for a real user), XML-RPC authenticate, and a
 * JSON-RPC login that names another tenant's database.
 */
const PROBE = `
import json, ssl, sys, urllib.request, urllib.error, xmlrpc.client
dom, db, pw, other_db = sys.argv[1:5]
ctx = ssl._create_unverified_context()
out = {}
def get(path, data=None):
    req = urllib.request.Request('https://' + dom + path, data=data, headers={'Content-Type': 'application/json'} if data else {})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=20) as r:
            return [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        return [e.code, e.read().decode()]
out['health'] = get('/web/health')
out['login_page'] = get('/web/login')
out['database_manager'] = get('/web/database/manager')[0]
common = xmlrpc.client.ServerProxy('https://' + dom + '/xmlrpc/2/common', context=ctx)
out['uid'] = common.authenticate(db, 'admin', pw, {})
out['default_uid'] = common.authenticate(db, 'admin', 'admin', {})
body = json.dumps({'jsonrpc': '2.0', 'method': 'call', 'params': {'db': other_db, 'login': 'admin', 'password': pw}}).encode()
out['cross'] = get('/web/session/authenticate', body)
print(json.dumps(out))
`

export interface ProbeResult {
  health: [number, string]
  login_page: [number, string]
  database_manager: number
  uid: number | false
  default_uid: number | false
  cross: [number, string]
}

export async function mapDomains(sandbox: SandboxInfo, domains: string[]): Promise<void> {
  const lines = domains.map((d) => `127.0.0.1 ${d}`).join('\n')
  const result = await sshRun(sandbox, `grep -q localhost /etc/hosts 2>/dev/null || echo '127.0.0.1 localhost' >> /etc/hosts; printf '%s\\n' '${lines.replaceAll('\n', "' '")}' >> /etc/hosts`)
  if (result.exitCode !== 0) throw new Error(result.stderr)
}

export async function probeTenant(sandbox: SandboxInfo, domain: string, database: string, password: string, otherDatabase = 'none'): Promise<ProbeResult> {
  const result = await sshRun(sandbox, `python3 - '${domain}' '${database}' '${password}' '${otherDatabase}' <<'PY'\n${PROBE}\nPY`)
  if (result.exitCode !== 0) throw new Error(`probe failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as ProbeResult
}

/** The admin password from a --credentials-file (YAML: url, database, logins; lib/credentials/file.ts). */
export function passwordFrom(file: string, login = 'admin'): string {
  const data = parseYaml(readFileSync(file, 'utf8')) as {logins?: {login: string; password: string}[]}
  const password = data.logins?.find((l) => l.login === login)?.password
  if (!password) throw new Error(`no password of ${login} in ${file}`)
  return password
}

/** What exists on the host for a tenant, as seen with the system's own tools. */
export async function traces(sandbox: SandboxInfo, t: {slug: string; database: string; role?: string}) {
  const sh = [
    `runuser -u postgres -- psql -XAtc "SELECT count(*) FROM pg_database WHERE datname = '${t.database}'"`,
    `runuser -u postgres -- psql -XAtc "SELECT count(*) FROM pg_roles WHERE rolname = '${t.role ?? '-'}'"`,
    `test -e /etc/systemd/system/odoops-${t.slug}.service && echo 1 || echo 0`,
    `ls /etc/nginx/conf.d /etc/nginx/sites-enabled 2>/dev/null | grep -c "odoops-${t.slug}.conf" || true`,
    `test -e /var/lib/odoops/tenants/${t.slug} && echo 1 || echo 0`,
  ].join('; ')
  const result = await sshRun(sandbox, sh)
  const [database, role, unit, vhost, dataDir] = result.stdout.split('\n').map((l) => Number(l.trim()))
  return {database, role, unit, vhost, dataDir}
}
