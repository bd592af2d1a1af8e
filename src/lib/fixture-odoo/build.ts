import {createHash} from 'node:crypto'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'
import {execa} from 'execa'
import {OdoopsError, messageOf, usageError} from '../errors.js'
import {writeFileAtomicSync} from '../fs/atomic-write.js'

/**
 * Builds the fixture Odoo (a TEST DOUBLE of Odoo, source in test/fixtures/odoo/) as a Debian
 * package named `odoo`, and the flat apt repository that serves it, so that tests and
 * `odoops sandbox up --fixture-odoo` install it through apt exactly like the official package.
 */

export const FIXTURE_SERIES = ['16.0', '17.0', '18.0'] as const
export type FixtureSeries = (typeof FIXTURE_SERIES)[number]

export interface BuildFixtureOptions {
  series: string
  /** Directory that receives odoo_<series>.<date>_all.deb. */
  outDir: string
  /** Build date in the version (YYYYMMDD). Default: newest modification date of the fixture sources. */
  date?: string
}

/** The package root (holds package.json), found from this file in src/ (tsx) or dist/ (compiled). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && /"name":\s*"odoops"/.test(readFileSync(manifest, 'utf8'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new OdoopsError('FIXTURE_ODOO_ROOT', 'Cannot find the odoops package root (package.json) above ' + fileURLToPath(import.meta.url) + '.')
    dir = parent
  }
}

export function fixtureSourceDir(): string {
  const dir = join(packageRoot(), 'test', 'fixtures', 'odoo')
  if (!existsSync(join(dir, 'bin', 'odoo'))) {
    throw new OdoopsError('FIXTURE_ODOO_MISSING', `The fixture Odoo sources are not at ${dir}.`, {
      suggestions: ['Run odoops from a source checkout (the fixture lives in test/fixtures/odoo/).'],
    })
  }
  return dir
}

/** Every source file of the fixture, relative paths, sorted (the content hash depends on order). */
function sourceFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), {withFileTypes: true})) {
      const path = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) {
        if (entry.name !== '__pycache__') walk(path)
      } else if (!entry.name.endsWith('.pyc')) {
        out.push(path)
      }
    }
  }
  walk('')
  return out.sort()
}

function defaultDate(dir: string, files: string[]): string {
  const newest = Math.max(...files.map((f) => statSync(join(dir, f)).mtimeMs))
  return new Date(newest).toISOString().slice(0, 10).replaceAll('-', '')
}

function checkSeries(series: string): FixtureSeries {
  if (!(FIXTURE_SERIES as readonly string[]).includes(series)) {
    throw usageError('FIXTURE_ODOO_SERIES', `The fixture Odoo has no series "${series}".`, [`Use one of ${FIXTURE_SERIES.join(', ')}.`])
  }
  return series as FixtureSeries
}

/**
 * Build odoo_<series>.<date>_all.deb into outDir and return its path. A build is keyed by the
 * hash of the fixture sources, series and date: when outDir already holds that build, nothing runs.
 */
export async function buildFixtureOdooPackage(options: BuildFixtureOptions): Promise<string> {
  const series = checkSeries(options.series)
  const src = fixtureSourceDir()
  const files = sourceFiles(src)
  const date = options.date ?? defaultDate(src, files)
  if (!/^\d{8}$/.test(date)) throw usageError('FIXTURE_ODOO_DATE', `Build date "${date}" is not YYYYMMDD.`)
  const hash = createHash('sha256').update(`${series}\n${date}\n`)
  for (const f of files) hash.update(`${f}\n`).update(readFileSync(join(src, f)))
  const digest = hash.digest('hex')

  const version = `${series}.${date}`
  mkdirSync(options.outDir, {recursive: true})
  const deb = join(resolve(options.outDir), `odoo_${version}_all.deb`)
  const stamp = `${deb}.sha256`
  if (existsSync(deb) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) return deb

  const stage = mkdtempSync(join(tmpdir(), 'odoops-fixture-odoo-'))
  try {
    const root = join(stage, 'root')
    stageTree(src, root, series, date)
    const tmpDeb = join(stage, 'odoo.deb')
    try {
      await execa('dpkg-deb', ['--root-owner-group', '--build', root, tmpDeb])
    } catch (error) {
      throw new OdoopsError('FIXTURE_ODOO_BUILD', `dpkg-deb could not build the fixture Odoo package: ${messageOf(error)}`, {
        cause: error,
        suggestions: ['Install dpkg (apt-get install dpkg) and check that the temporary directory is writable.'],
      })
    }
    // Renamed into place so that a concurrent reader never sees half a file (the package is small).
    writeFileAtomicSync(deb, readFileSync(tmpDeb))
    writeFileSync(stamp, `${digest}\n`)
    return deb
  } finally {
    rmSync(stage, {recursive: true, force: true})
  }
}

function put(root: string, path: string, content: Buffer | string, mode: number): number {
  const full = join(root, path)
  mkdirSync(dirname(full), {recursive: true})
  writeFileSync(full, content)
  chmodSync(full, mode)
  return typeof content === 'string' ? Buffer.byteLength(content) : content.length
}

/**
 * The fixture's module catalogue (MODULES in odoo_fixture/schema.py) as manifests without code,
 * one per module: `name: ([depends], 'version', application, 'summary'),` lines.
 */
export function fixtureModuleManifests(schemaPy: string): {name: string; manifest: string}[] {
  const block = /^MODULES = \{\n([\s\S]*?)^\}/m.exec(schemaPy)
  const entries = [...(block?.[1] ?? '').matchAll(/^ {4}'([a-z0-9_]+)': \((\[[^\]]*\]), '([^']+)', (True|False), '([^']*)'\),$/gm)]
  if (entries.length === 0) throw new OdoopsError('FIXTURE_ODOO_BUILD', 'No module catalogue (MODULES) found in the fixture\'s odoo_fixture/schema.py.')
  return entries.map(([, name, depends, version, application, summary]) => ({
    name,
    manifest: `# The fixture Odoo (a TEST DOUBLE): the catalogue entry of ${name}, no code.\n{'name': '${summary}', 'version': '${version}', 'depends': ${depends}, 'application': ${application}, 'license': 'LGPL-3', 'installable': True}\n`,
  }))
}

/** The package tree: same paths as the official package where they exist (debian/ of odoo/odoo). */
function stageTree(src: string, root: string, series: string, date: string): void {
  const read = (p: string) => readFileSync(join(src, p))
  let size = 0
  size += put(root, 'usr/bin/odoo', read('bin/odoo'), 0o755)
  for (const f of readdirSync(join(src, 'odoo_fixture')).filter((n) => n.endsWith('.py'))) {
    let content: Buffer | string = read(`odoo_fixture/${f}`)
    if (f === 'release.py') {
      content = content
        .toString('utf8')
        .replace(/^SERIES = .*$/m, `SERIES = '${series}'`)
        .replace(/^BUILD_DATE = .*$/m, `BUILD_DATE = '${date}'`)
    }
    size += put(root, `usr/lib/python3/dist-packages/odoo_fixture/${f}`, content, 0o644)
  }
  // Where the real package keeps its modules: a probe of Odoo's addons directory finds the catalogue.
  for (const {name, manifest} of fixtureModuleManifests(read('odoo_fixture/schema.py').toString('utf8'))) {
    size += put(root, `usr/lib/python3/dist-packages/odoo/addons/${name}/__manifest__.py`, manifest, 0o644)
  }
  size += put(root, 'etc/odoo/odoo.conf', read('debian/odoo.conf'), 0o644)
  size += put(root, 'lib/systemd/system/odoo.service', read('debian/odoo.service'), 0o644)
  size += put(root, 'usr/share/doc/odoo/README.md', read('README.md'), 0o644)
  for (const script of ['postinst', 'prerm', 'postrm']) put(root, `DEBIAN/${script}`, read(`debian/${script}`), 0o755)
  put(root, 'DEBIAN/conffiles', read('debian/conffiles'), 0o644)
  const control = read('debian/control')
    .toString('utf8')
    .replaceAll('@VERSION@', `${series}.${date}`)
    .replaceAll('@SERIES@', series)
    .replaceAll('@SIZE@', String(Math.ceil(size / 1024)))
  put(root, 'DEBIAN/control', control, 0o644)
}

/**
 * Make `dir` a flat apt repository holding `debs`: copies them in and writes Packages,
 * Packages.gz and an unsigned Release, so that `deb [trusted=yes] <url>/ ./` works.
 * The Packages stanzas come from `dpkg-deb -f` plus size and hashes (what dpkg-scanpackages
 * writes), so dpkg-dev is not needed.
 */
export async function createLocalAptRepo(dir: string, debs: string[]): Promise<{dir: string; packages: string}> {
  mkdirSync(dir, {recursive: true})
  for (const deb of debs) {
    const target = join(dir, basename(deb))
    if (resolve(deb) !== resolve(target)) copyFileSync(deb, target)
  }
  const stanzas: string[] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.deb')).sort()) {
    const path = join(dir, name)
    const {stdout} = await execa('dpkg-deb', ['-f', path])
    const data = readFileSync(path)
    const hex = (algo: string) => createHash(algo).update(data).digest('hex')
    stanzas.push(
      [stdout.trimEnd(), `Filename: ./${name}`, `Size: ${data.length}`, `MD5sum: ${hex('md5')}`, `SHA1: ${hex('sha1')}`, `SHA256: ${hex('sha256')}`].join('\n'),
    )
  }
  const packages = stanzas.map((s) => `${s}\n`).join('\n')
  const gz = gzipSync(packages)
  writeFileSync(join(dir, 'Packages'), packages)
  writeFileSync(join(dir, 'Packages.gz'), gz)
  const index = [
    ['Packages', Buffer.from(packages)],
    ['Packages.gz', gz],
  ] as const
  const sums = (algo: string) => index.map(([n, b]) => ` ${createHash(algo).update(b).digest('hex')} ${b.length} ${n}`).join('\n')
  const release = [
    'Origin: odoops-fixture',
    'Label: odoops fixture Odoo (test double)',
    `Date: ${new Date().toUTCString()}`,
    'Architectures: all',
    'MD5Sum:',
    sums('md5'),
    'SHA256:',
    sums('sha256'),
    '',
  ].join('\n')
  writeFileSync(join(dir, 'Release'), release)
  return {dir, packages: join(dir, 'Packages')}
}

/** The sources.list line for a flat repository served at `url`. */
export function fixtureAptSourceLine(url: string): string {
  return `deb [trusted=yes] ${url.replace(/\/+$/, '')}/ ./`
}

export {serveAptRepo, type AptRepoServer} from './serve.js'
