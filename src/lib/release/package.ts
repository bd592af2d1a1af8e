import {OdoopsError} from '../errors.js'
import {aptUpdate, installedVersion} from '../remote/apt.js'
import {ensureUnitStopped} from '../remote/systemd.js'
import {ODOO_SOURCE_FILE, PACKAGE_ODOO_UNIT} from '../provision/prepare.js'
import type {SshConnection} from '../ssh/connection.js'
import {command, script, shell} from '../ssh/quote.js'
import {assertDebianVersion, compareDebianVersions} from './debian-version.js'

/**
 * The `odoo` package on a host, as a release handles it. Every build it installs or may roll
 * back to is kept as a .deb under PACKAGES_DIR first (`apt-get download`), so a rollback needs
 * neither the network nor the repository to still offer the old build; a rehearsal runs the new
 * build from an unpacked tree beside the installed one, never touching what serves.
 */
export const PACKAGES_DIR = '/var/lib/odoops/packages'

const APT_OPTIONS = ['-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']
/**
 * dpkg syncs every file it unpacks (fsync before each rename); Odoo's package is some 30,000
 * files, and the sync is most of its install time on ordinary disks. The install runs with the
 * tenants' services stopped and a kept .deb of the previous build: after a crash mid-install the
 * rollback reinstalls that build over whatever was half-written (dpkg(1), --force-unsafe-io).
 */
const INSTALL_OPTIONS = ['-o', 'Dpkg::Options::=--force-unsafe-io']
const APT_TIMEOUT_MS = 20 * 60_000

/** dpkg's file name of a build: the epoch's colon is written %3a (apt-get download does the same). */
export function debFileName(version: string): string {
  return `odoo_${assertDebianVersion(version).replace(':', '%3a')}_all.deb`
}

export function debPath(version: string): string {
  return `${PACKAGES_DIR}/${debFileName(version)}`
}

export function treeDir(version: string): string {
  return `${PACKAGES_DIR}/${debFileName(version).replace(/_all\.deb$/, '')}.tree`
}

export const installedOdooPackage = (conn: SshConnection) => installedVersion(conn, 'odoo')

/** The builds the host's Odoo source offers now (its index refreshed first), oldest first. */
export async function availableOdooPackages(conn: SshConnection): Promise<string[]> {
  await aptUpdate(conn, `/etc/apt/sources.list.d/${ODOO_SOURCE_FILE}`)
  const out = await conn.run(command(['apt-cache', 'madison', 'odoo']), {root: true})
  // `odoo | 17.0.20261120 | https://nightly.odoo.com/17.0/nightly/deb ./ Packages`
  const versions = out
    .split('\n')
    .map((line) => line.split('|').map((part) => part.trim()))
    .filter((parts) => parts.length >= 3 && parts[0] === 'odoo')
    .map((parts) => parts[1])
  return [...new Set(versions)].sort(compareDebianVersions)
}

/** The build's .deb kept on the host (downloaded once); its path. */
export async function keepPackage(conn: SshConnection, version: string): Promise<string> {
  const path = debPath(version)
  const result = await conn.exec(
    script([
      shell`install -d -m 0755 ${PACKAGES_DIR}`,
      shell`if [ ! -s ${path} ]; then cd ${PACKAGES_DIR} && ${command(['apt-get', ...APT_OPTIONS, 'download', `odoo=${version}`])}; fi`,
      shell`test -s ${path}`,
    ]),
    {root: true, timeoutMs: APT_TIMEOUT_MS},
  )
  if (result.code !== 0) {
    throw new OdoopsError('RELEASE_PACKAGE_UNAVAILABLE', `odoo ${version} cannot be kept on ${conn.target.name}: the host's Odoo source does not offer it. ${result.stderr.toString('utf8').trim().split('\n').slice(-2).join(' ')}`, {
      suggestions: [`See what the host offers: odoops host exec ${conn.target.name} -- apt-cache madison odoo`, `Or put the .deb at ${path} on the host yourself, then run the command again.`],
    })
  }
  return path
}

/**
 * Installs a kept .deb (upgrade or downgrade) and makes sure the package's own odoo.service
 * stays stopped: its postinst starts it on a first install (debian/postinst, dh_installsystemd),
 * and it would serve /etc/odoo/odoo.conf with the database manager open.
 */
export async function installPackage(conn: SshConnection, path: string, version: string): Promise<void> {
  const install = script([shell`DEBIAN_FRONTEND=noninteractive ${command(['apt-get', ...APT_OPTIONS, ...INSTALL_OPTIONS, 'install', '-y', '--allow-downgrades', '--no-install-recommends', path])}`])
  const result = await conn.exec(install, {root: true, timeoutMs: APT_TIMEOUT_MS})
  if (result.code !== 0) {
    throw new OdoopsError('RELEASE_INSTALL_FAILED', `Installing odoo ${version} on ${conn.target.name} failed:\n${Buffer.concat([result.stdout, result.stderr]).toString('utf8').trim().split('\n').slice(-8).join('\n')}`, {
      suggestions: ['Check the host reaches its Debian mirrors (the package depends on python3-* packages), then resume: odoops release apply <release> --resume'],
    })
  }
  await ensureUnitStopped(conn, PACKAGE_ODOO_UNIT)
  const now = await installedOdooPackage(conn)
  if (now !== version) throw new OdoopsError('RELEASE_INSTALL_FAILED', `odoo ${version} was installed on ${conn.target.name}, yet dpkg reports ${now ?? 'no odoo package'}.`)
}

/** The build unpacked beside the installed one (for rehearsals and for reading its manifests); its root. */
export async function stagePackage(conn: SshConnection, version: string): Promise<string> {
  const deb = await keepPackage(conn, version)
  const dir = treeDir(version)
  await conn.run(
    script([shell`if [ ! -e ${dir}/.complete ]; then rm -rf -- ${dir} ${dir}.partial && mkdir -p -- ${dir}.partial && dpkg-deb -x ${deb} ${dir}.partial && touch ${dir}.partial/.complete && mv -T -- ${dir}.partial ${dir}; fi`]),
    {root: true, timeoutMs: APT_TIMEOUT_MS},
  )
  return dir
}

/** Odoo's addons inside a package tree (the Debian package keeps every addon there). */
export const PACKAGE_ADDONS = '/usr/lib/python3/dist-packages/odoo/addons'

/**
 * Odoo's `adapt_version` (odoo/modules/module.py): a manifest version not starting with the
 * series gets it prefixed, which is what ir_module_module.latest_version holds.
 */
const MANIFEST_VERSIONS = `
import ast, json, os, sys
root, serie = sys.argv[1], sys.argv[2]
out = {}
for name in sys.argv[3:]:
    path = os.path.join(root, name, '__manifest__.py')
    if not os.path.exists(path):
        continue
    with open(path) as f:
        version = str(ast.literal_eval(f.read()).get('version', '1.0'))
    if version == serie or not version.startswith(serie + '.'):
        version = serie + '.' + version
    out[name] = version
print(json.dumps(out))
`

/** Manifest versions (as Odoo records them) of the given modules in a package tree. */
export async function manifestVersions(conn: SshConnection, tree: string, series: string, modules: readonly string[]): Promise<Record<string, string>> {
  if (modules.length === 0) return {}
  const out = await conn.run(command(['python3', '-c', MANIFEST_VERSIONS, `${tree}${PACKAGE_ADDONS}`, series, ...modules]), {root: true, timeoutMs: 120_000})
  return JSON.parse(out) as Record<string, string>
}
