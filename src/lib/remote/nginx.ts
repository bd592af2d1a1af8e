import {OdoopsError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell, type RemoteCommand} from '../ssh/quote.js'
import {changeOf, type Change} from './files.js'

/**
 * nginx configuration on a host. Files live in /etc/nginx/conf.d/, which Debian's
 * nginx.conf includes inside its http block (`include /etc/nginx/conf.d/*.conf;`).
 * Every change is checked with `nginx -t` before nginx reloads; a file that fails the
 * test is rolled back (the previous version restored, a new one removed), so a bad
 * vhost never takes the other sites down. One odoops run at a time edits nginx on a host
 * (flock on /run/odoops-nginx.lock), so two runs cannot test each other's half-done work.
 */
export const NGINX_CONF_DIR = '/etc/nginx/conf.d'

/** Exit status of the scripts below when `nginx -t` refused the new configuration. */
const CONFIG_INVALID = 42

const FILE_NAME = /^[a-z0-9][a-z0-9._-]*\.conf$/

function sitePath(fileName: string): string {
  if (!FILE_NAME.test(fileName)) throw new OdoopsError('NGINX_FILE_NAME_INVALID', `"${fileName}" is not an nginx configuration file name (name.conf).`)
  return `${NGINX_CONF_DIR}/${fileName}`
}

/** Lines of a script run under the host-wide nginx lock. */
function locked(lines: RemoteCommand[]): RemoteCommand {
  return script([shell`exec 9>/run/odoops-nginx.lock`, shell`flock -w 300 9`, ...lines])
}

/** After the file is in place: test, roll back on failure (exit CONFIG_INVALID with nginx's message), reload. */
function testOrRollBack(path: string): RemoteCommand[] {
  return [
    shell`if ! out=$(nginx -t 2>&1); then`,
    shell`  if [ -f ${path}.odoops-prev ]; then mv -f -- ${path}.odoops-prev ${path}; else rm -f -- ${path}; fi`,
    shell`  printf '%s\n' "$out" >&2`,
    shell`  exit ${CONFIG_INVALID}`,
    shell`fi`,
    shell`rm -f -- ${path}.odoops-prev`,
    // reload-or-restart also starts an nginx that is not running.
    shell`systemctl reload-or-restart nginx.service`,
    shell`echo changed`,
  ]
}

async function runNginxScript(conn: SshConnection, cmd: RemoteCommand, fileName: string, stdin?: string, rolledBack = true): Promise<Change> {
  const result = await conn.exec(cmd, {root: true, stdin, timeoutMs: 360_000})
  const stderr = result.stderr.toString('utf8').trim()
  if (result.code === CONFIG_INVALID) {
    throw new OdoopsError('NGINX_CONFIG_INVALID', `nginx on ${conn.target.name} refused the configuration${rolledBack ? ` with ${fileName} (the change was rolled back)` : ''}:\n${stderr}`, {
      suggestions: ['Fix the problem nginx names above; other sites were not affected.'],
      data: {file: fileName},
    })
  }
  if (result.code !== 0) throw new OdoopsError('NGINX_APPLY_FAILED', `Could not update ${fileName} in nginx on ${conn.target.name}: ${stderr}`, {data: {file: fileName}})
  return changeOf(result.stdout.toString('utf8'))
}

/** conf.d/<fileName> holds `content` and nginx runs with it (tested first, rolled back if refused). */
export async function applyNginxSite(conn: SshConnection, fileName: string, content: string): Promise<Change> {
  const path = sitePath(fileName)
  const cmd = locked([
    shell`tmp=$(mktemp -- ${path}.odoops-XXXXXX)`,
    shell`trap 'rm -f -- "$tmp"' EXIT`,
    shell`cat > "$tmp"`,
    shell`chmod 644 "$tmp"`,
    shell`if [ -f ${path} ] && cmp -s -- "$tmp" ${path} && [ "$(stat -c '%a %U' -- ${path})" = '644 root' ]; then echo unchanged; exit 0; fi`,
    shell`rm -f -- ${path}.odoops-prev`,
    shell`if [ -f ${path} ]; then cp -p -- ${path} ${path}.odoops-prev; fi`,
    shell`mv -f -- "$tmp" ${path}`,
    ...testOrRollBack(path),
  ])
  return runNginxScript(conn, cmd, fileName, content)
}

/** conf.d/<fileName> removed and nginx reloaded (unchanged when absent). */
export async function removeNginxSite(conn: SshConnection, fileName: string): Promise<Change> {
  const path = sitePath(fileName)
  const cmd = locked([shell`if [ ! -e ${path} ]; then echo unchanged; exit 0; fi`, shell`mv -f -- ${path} ${path}.odoops-prev`, ...testOrRollBack(path)])
  return runNginxScript(conn, cmd, fileName)
}

/** nginx enabled and running (after `nginx -t`, so a broken configuration is reported as such). */
export async function ensureNginxRunning(conn: SshConnection): Promise<Change> {
  const cmd = script([
    shell`state="$(systemctl is-active nginx.service || true) $(systemctl is-enabled nginx.service 2>/dev/null || true)"`,
    shell`if [ "$state" = 'active enabled' ]; then echo unchanged; exit 0; fi`,
    shell`if ! out=$(nginx -t 2>&1); then printf '%s\n' "$out" >&2; exit ${CONFIG_INVALID}; fi`,
    shell`systemctl enable nginx.service >/dev/null 2>&1`,
    shell`systemctl start nginx.service`,
    shell`echo changed`,
  ])
  return runNginxScript(conn, cmd, 'nginx.conf', undefined, false)
}
