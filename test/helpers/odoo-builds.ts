/**
 * Patch builds of a REAL Odoo community package (../shared/odoo/<series>/, test/helpers/real-odoo.ts)
 * for tests of `release apply` (Odoo patch updates across a fleet): the shared package plus two
 * builds made from it, served from one flat apt repository in a temp directory (never in the repo).
 *
 *   const builds = await odooBuilds('19.0', dir)             // repo offers `original` only
 *   await sharedSandbox('u19', {image: 'odoo-deps', aptRepo: builds.repo})
 *   builds.publish([builds.original, builds.good])            // then apt-get update on the host
 *
 * - `good` (`<original>.1`): base's manifest version one step up (1.3 → 1.3.1) with a base
 *   post-migration that upserts ir_config_parameter `odoops.test.build` = the package version.
 * - `failing` (`<original>.2`): base 1.3 → 1.3.2, whose post-migration raises
 *   "odoops test build <version>: this update fails on purpose", so `-u base` exits non-zero.
 * - Both report themselves in `odoo --version` ("Odoo Server 19.0+build.1"; 17.0 and 18.0, whose
 *   release.py already appends the package date: "17.0-20240709+build.1"); `serie` is unchanged.
 *
 * Unpacked once (dpkg-deb -R, ~2.5 s: the shared .debs are xz), built one after the other from
 * that tree with zstd -1 (~0.7 s each; gzip -1 takes 3 s, dpkg and apt of Debian 12 read zstd).
 * Made once per process per series; the temp directory goes when the process exits.
 */
import {createHash} from 'node:crypto'
import {chmodSync, copyFileSync, createReadStream, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import createDebug from 'debug'
import {execa} from 'execa'

const debug = createDebug('odoops:test:odoo-builds')

export interface OdooBuilds {
  /** Flat apt repository directory (bind-mounted into test hosts as `deb [trusted=yes] file:/srv/odoops-fixture-apt ./`). */
  repo: string
  /** Package versions: the shared one, a good patch build, a failing patch build. */
  original: string
  good: string
  failing: string
  /** Rewrites the repo's Packages/Packages.gz index so exactly these versions are offered (the .debs all stay in the dir). */
  publish(versions: readonly string[]): void
}

const made = new Map<string, {seriesDir: string; builds: Promise<OdooBuilds>}>()
const tempDirs: string[] = []
process.once('exit', () => {
  for (const dir of tempDirs) rmSync(dir, {recursive: true, force: true})
})

/** Made once per process per series (memoized); the repo starts publishing only `original`. */
export function odooBuilds(series: string, seriesDir: string): Promise<OdooBuilds> {
  const existing = made.get(series)
  if (existing) {
    if (existing.seriesDir !== seriesDir) throw new Error(`Odoo ${series} builds were made from ${existing.seriesDir}, not ${seriesDir}`)
    return existing.builds
  }
  const builds = make(series, seriesDir)
  // A failure is not cached: the next caller tries again and reports its own failure.
  builds.catch(() => made.delete(series))
  made.set(series, {seriesDir, builds})
  return builds
}

const ODOO = 'usr/lib/python3/dist-packages/odoo'
const MANIFEST = `${ODOO}/addons/base/__manifest__.py`
const RELEASE = `${ODOO}/release.py`
const MIGRATIONS = `${ODOO}/addons/base/migrations`
const MANIFEST_VERSION = /(['"]version['"]\s*:\s*['"])([^'"]+)(['"])/g
/** release.py's `version_info = (MAJOR, MINOR, MICRO, …)`: MICRO becomes the build number. */
const VERSION_INFO_MICRO = /^(version_info\s*=\s*\(\s*[^,]+,\s*[^,]+,\s*)(\d+)(\s*,)/m

async function make(series: string, seriesDir: string): Promise<OdooBuilds> {
  const debs = readdirSync(seriesDir).filter((f) => /^odoo_[^_]+_all\.deb$/.test(f))
  if (debs.length !== 1) throw new Error(`${seriesDir} must hold exactly one odoo_<version>_all.deb, found ${debs.length}`)
  const originalDeb = join(seriesDir, debs[0])
  const original = (await execa('dpkg-deb', ['-f', originalDeb, 'Version'])).stdout.trim()
  if (!/^[0-9][0-9A-Za-z.+~-]*$/.test(original)) throw new Error(`unexpected package version ${original} in ${originalDeb}`)
  const good = `${original}.1`
  const failing = `${original}.2`
  for (const [older, newer] of [[original, good], [good, failing]]) {
    await execa('dpkg', ['--compare-versions', newer, 'gt', older]) // throws unless newer > older in Debian order
  }

  const root = mkdtempSync(join(tmpdir(), `odoops-odoo-builds-${series}-`))
  tempDirs.push(root)
  const repo = join(root, 'repo')
  const tree = join(root, 'tree')
  mkdirSync(repo)
  const debOf = (version: string) => join(repo, `odoo_${version}_all.deb`)
  // A hard link (same file system) or a copy, never a symlink: the repo is bind-mounted into
  // test hosts, where a link to a path outside it would not resolve.
  try {
    linkSync(originalDeb, debOf(original))
  } catch {
    copyFileSync(originalDeb, debOf(original))
  }
  let started = Date.now()
  const [originalStanza] = await Promise.all([stanza(debOf(original)), execa('dpkg-deb', ['-R', originalDeb, tree])])

  debug('%s: unpacked in %d ms', originalDeb, Date.now() - started)
  const manifest = readFileSync(join(tree, MANIFEST), 'utf8')
  const release = readFileSync(join(tree, RELEASE), 'utf8')
  const control = readFileSync(join(tree, 'DEBIAN/control'), 'utf8')
  const baseVersions = [...manifest.matchAll(MANIFEST_VERSION)].map((m) => m[2])
  if (baseVersions.length !== 1) throw new Error(`${MANIFEST}: expected one 'version' entry, found ${baseVersions.length}`)
  if (!VERSION_INFO_MICRO.test(release)) throw new Error(`${RELEASE}: no version_info = (MAJOR, MINOR, MICRO, …) found`)
  if (!/^Version: .+$/m.test(control)) throw new Error(`DEBIAN/control of ${originalDeb} has no Version field`)

  const stanzas = new Map<string, string>([[original, originalStanza]])
  for (const [build, version, kind] of [[1, good, 'good'], [2, failing, 'failing']] as const) {
    started = Date.now()
    const base = bumped(baseVersions[0], build)
    writeFileSync(join(tree, MANIFEST), manifest.replace(MANIFEST_VERSION, `$1${base}$3`))
    // release.py: version_info's MICRO becomes the build number (read by nothing but RPC's
    // server_version_info) and release.version (`odoo --version`) gets a suffix after the fact,
    // as the packaging's own date suffix does (17.0, 18.0). version_info's last field stays ''
    // because Odoo reads it as the edition ('' community, 'e' enterprise: pos_self_order's
    // pos_config.py, google_gmail_mixin.py, web/static/src/start.js), and `serie`/`major_version`
    // (the prefix of every module version) come from MAJOR.MINOR only.
    writeFileSync(join(tree, RELEASE), `${release.replace(VERSION_INFO_MICRO, `$1${build}$3`)}\n# odoops test build ${version} (test/helpers/odoo-builds.ts)\nversion += '+build.${build}'\n`)
    writeFileSync(join(tree, 'DEBIAN/control'), control.replace(/^Version: .+$/m, `Version: ${version}`))
    // odoo/modules/migration.py (same rules in 17.0, 18.0, 19.0): MigrationManager reads
    // <module>/migrations/<version>/*.py, <version> being the module's version with 2 or 3 parts
    // (VERSION_RE; optionally prefixed by the series, e.g. 19.0.1.3.1). A version without the
    // series is compared on the module part only: the script runs when installed < it <= the
    // manifest's version. Files run by stage on their `pre-`/`post-`/`end-` prefix, calling
    // migrate(cr, version) with the installed version; only on -u, never on -i.
    const scripts = join(tree, MIGRATIONS, base)
    mkdirSync(scripts, {recursive: true})
    writeFileSync(join(scripts, 'post-odoops_build.py'), kind === 'good' ? goodMigration(version) : failingMigration(version))
    // Readable by the odoo user whatever this process's umask.
    for (const dir of [join(tree, MIGRATIONS), scripts]) chmodSync(dir, 0o755)
    chmodSync(join(scripts, 'post-odoops_build.py'), 0o644)
    const deb = debOf(version)
    await execa('dpkg-deb', ['--root-owner-group', '-Zzstd', '-z1', '-b', tree, `${deb}.part`])
    renameSync(`${deb}.part`, deb)
    rmSync(join(tree, MIGRATIONS), {recursive: true, force: true})
    stanzas.set(version, await stanza(deb))
    debug('%s: built in %d ms', deb, Date.now() - started)
  }
  rmSync(tree, {recursive: true, force: true})

  const publish = (versions: readonly string[]) => {
    const text = versions.map((v) => {
      const s = stanzas.get(v)
      if (!s) throw new Error(`no Odoo ${series} build ${v} (known: ${[...stanzas.keys()].join(', ')})`)
      return s
    }).join('\n')
    // Written aside then renamed, so apt never reads half an index; Packages.gz last, both complete.
    writeFileSync(join(repo, 'Packages.part'), text)
    renameSync(join(repo, 'Packages.part'), join(repo, 'Packages'))
    writeFileSync(join(repo, 'Packages.gz.part'), gzipSync(text))
    renameSync(join(repo, 'Packages.gz.part'), join(repo, 'Packages.gz'))
  }
  publish([original])
  return {repo, original, good, failing, publish}
}

/** Base's manifest version one step up per build: 1.3 → 1.3.1 / 1.3.2; 1.3.4 → 1.3.5 / 1.3.6 (migration folders allow 3 parts at most). */
function bumped(version: string, build: number): string {
  const parts = version.split('.')
  if (!parts.every((p) => /^\d+$/.test(p)) || parts.length < 2 || parts.length > 3) throw new Error(`base's manifest version ${version} is not x.y or x.y.z`)
  return parts.length === 2 ? `${version}.${build}` : [...parts.slice(0, 2), Number(parts[2]) + build].join('.')
}

function goodMigration(version: string): string {
  // ir_config_parameter (17.0 to 19.0): key varchar NOT NULL UNIQUE (key_uniq / _key_uniq:
  // 'unique (key)'), value text NOT NULL, create/write uid and date; dates are UTC without zone.
  return `# odoops test build ${version} (test/helpers/odoo-builds.ts): records that this build's migration ran.
def migrate(cr, version):
    cr.execute(
        """
        INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
        VALUES (%s, %s, 1, now() at time zone 'UTC', 1, now() at time zone 'UTC')
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_uid = 1, write_date = EXCLUDED.write_date
        """,
        ['odoops.test.build', '${version}'],
    )
`
}

function failingMigration(version: string): string {
  return `# odoops test build ${version} (test/helpers/odoo-builds.ts): an update that fails.
def migrate(cr, version):
    raise Exception('odoops test build ${version}: this update fails on purpose')
`
}

/** The .deb's Packages stanza: its control fields, then where it is and its size and hashes. */
async function stanza(deb: string): Promise<string> {
  const [fields, md5, sha256] = await Promise.all([execa('dpkg-deb', ['-f', deb]), digest(deb, 'md5'), digest(deb, 'sha256')])
  const name = deb.slice(deb.lastIndexOf('/') + 1)
  return `${fields.stdout.trimEnd()}\nFilename: ./${name}\nSize: ${statSync(deb).size}\nMD5sum: ${md5}\nSHA256: ${sha256}\n`
}

async function digest(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm)
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
