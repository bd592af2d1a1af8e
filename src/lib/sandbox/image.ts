import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {dirname, join} from 'node:path'
import {execa} from 'execa'
import {OdoopsError, usageError} from '../errors.js'
import {acquireLockFile, removeLockIfOwned} from '../state/file-lock.js'
import {bookwormSourcesList, debianArchive, type DebianArchive} from './apt-sources.js'
import {BASE_PACKAGES, ETC_HOSTS, ODOO_DEBIAN_DEPENDS, POSTGRES_NGINX_PACKAGES, GUEST_PATHS, MASKED_UNITS, NETWORK_UNIT, RECIPE_VERSION, SSHD_CONFIG} from './image-recipe.js'
import {tailOf} from './processes.js'

/**
 * Cached root filesystems sandboxes boot from (read-only: each boot runs on nspawn's
 * `--ephemeral` copy). The base image is built once with debootstrap; a derived image is the
 * base plus packages (e.g. PostgreSQL and nginx) so tests that only need a prepared host do
 * not install them on every boot. Every build happens in a temporary directory renamed into
 * place when complete, so a killed build never leaves a half image; a stamp inside the image
 * (/etc/odoops-image.json) records what it holds, and a changed recipe rebuilds it.
 */
export interface ImageSpec {
  /** Directory name under the images directory. */
  name: string
  /** Extra packages installed on top of the base image (none: the base image itself). */
  packages?: string[]
}

/** Images the CLI knows by a short name (`sandbox up --image <alias>`). */
export const KNOWN_IMAGES: Record<string, ImageSpec> = {
  base: {name: 'bookworm-base'},
  'postgres-nginx': {name: 'bookworm-postgres-nginx', packages: POSTGRES_NGINX_PACKAGES},
  // Real Odoo's Debian dependencies preinstalled: `apt-get install odoo` on such a host only
  // unpacks the package instead of fetching ~60 python3 packages through the proxy (about a minute).
  'odoo-deps': {name: 'bookworm-odoo-deps', packages: [...POSTGRES_NGINX_PACKAGES, ...ODOO_DEBIAN_DEPENDS]},
}

export const BASE_IMAGE = KNOWN_IMAGES.base

export interface ImageStamp {
  name: string
  recipeVersion: number
  packages: string[]
  /** For a derived image: the base image's build time it was made from. */
  baseBuiltAt?: string
  archive: DebianArchive
  builtAt: string
  buildSeconds: number
}

export interface ImageInfo extends ImageStamp {
  dir: string
  /** True when this call built it (false: taken from the cache). */
  built: boolean
}

export interface ImageOptions {
  imagesDir: string
  onProgress?: (message: string) => void
}

/** `<cacheDir>/images`, or ODOOPS_SANDBOX_IMAGE_DIR (one machine-wide cache shared by test runs and CI). */
export function imagesDirFor(cacheDir: string): string {
  return process.env.ODOOPS_SANDBOX_IMAGE_DIR || join(cacheDir, 'images')
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/
const IMAGE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

/** An image by CLI alias (`base`, `postgres-nginx`) or by the name of an image already in the cache. */
export function resolveImage(nameOrAlias: string, imagesDir: string): ImageSpec {
  const known = KNOWN_IMAGES[nameOrAlias] ?? Object.values(KNOWN_IMAGES).find((spec) => spec.name === nameOrAlias)
  if (known) return known
  const stamp = IMAGE_NAME.test(nameOrAlias) ? readStamp(join(imagesDir, nameOrAlias)) : undefined
  if (stamp) return {name: stamp.name, packages: stamp.packages}
  throw usageError('SANDBOX_IMAGE_UNKNOWN', `No sandbox image "${nameOrAlias}".`, [
    `Use one of: ${Object.keys(KNOWN_IMAGES).join(', ')}, or the name of an image built with ensureImage().`,
  ])
}

export function readStamp(dir: string): ImageStamp | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'etc/odoops-image.json'), 'utf8')) as ImageStamp
  } catch {
    return undefined
  }
}

function normalized(packages: string[] | undefined): string[] {
  return [...new Set(packages ?? [])].sort()
}

function isCurrent(stamp: ImageStamp | undefined, spec: ImageSpec, base?: ImageStamp): stamp is ImageStamp {
  if (!stamp || stamp.name !== spec.name || stamp.recipeVersion !== RECIPE_VERSION) return false
  const wanted = spec.packages?.length ? normalized(spec.packages) : normalized(BASE_PACKAGES)
  if (JSON.stringify(normalized(stamp.packages)) !== JSON.stringify(wanted)) return false
  return !base || stamp.baseBuiltAt === base.builtAt
}

/** The image, from the cache or built now (derived images build the base first). */
export async function ensureImage(spec: ImageSpec, options: ImageOptions): Promise<ImageInfo> {
  if (!IMAGE_NAME.test(spec.name)) throw usageError('SANDBOX_IMAGE_NAME_INVALID', `"${spec.name}" is not a valid image name.`, ['Use lower-case letters, digits and dashes.'])
  for (const pkg of spec.packages ?? []) {
    if (!PACKAGE_NAME.test(pkg)) throw usageError('SANDBOX_PACKAGE_INVALID', `"${pkg}" is not a Debian package name.`)
  }
  const derived = Boolean(spec.packages?.length) && spec.name !== BASE_IMAGE.name
  const base = derived ? await ensureImage(BASE_IMAGE, options) : undefined
  const dir = join(options.imagesDir, spec.name)
  const cached = readStamp(dir)
  if (isCurrent(cached, spec, base)) return {...cached, dir, built: false}

  mkdirSync(options.imagesDir, {recursive: true})
  const lockFile = join(options.imagesDir, `.${spec.name}.lock`)
  const owner = `image-build-${process.pid}`
  // A build takes minutes; a second process waits for it rather than building twice.
  const got = await acquireLockFile(lockFile, owner, {ttlMs: 60 * 60_000, timeoutMs: 30 * 60_000})
  if (!got.ok) throw new OdoopsError('SANDBOX_BUSY', `Another process (PID ${got.holder?.pid ?? '?'}) is building the ${spec.name} image.`, {exit: 4})
  try {
    const again = readStamp(dir)
    if (isCurrent(again, spec, base)) return {...again, dir, built: false}
    const stamp = base ? await buildDerived(spec, base, options) : await buildBase(spec, options)
    return {...stamp, dir, built: true}
  } finally {
    removeLockIfOwned(lockFile, owner)
  }
}

async function inTemporaryDir(spec: ImageSpec, options: ImageOptions, build: (tmp: string, log: string) => Promise<ImageStamp>): Promise<ImageStamp> {
  const dir = join(options.imagesDir, spec.name)
  const tmp = join(options.imagesDir, `.build-${spec.name}-${process.pid}-${randomBytes(3).toString('hex')}`)
  const log = join(options.imagesDir, `.build-${spec.name}.log`)
  removeAbandonedBuilds(options.imagesDir, spec.name)
  writeFileSync(log, '')
  try {
    const stamp = await build(tmp, log)
    writeFileSync(join(tmp, 'etc/odoops-image.json'), JSON.stringify(stamp, null, 2) + '\n')
    if (existsSync(dir)) {
      // Sandboxes running from the old image run on their own ephemeral copies: it can go.
      const old = join(options.imagesDir, `.old-${spec.name}-${randomBytes(3).toString('hex')}`)
      renameSync(dir, old)
      rmSync(old, {recursive: true, force: true})
    }
    renameSync(tmp, dir)
    rmSync(log, {force: true})
    return stamp
  } catch (error) {
    rmSync(tmp, {recursive: true, force: true})
    if (error instanceof OdoopsError) throw error
    throw new OdoopsError('SANDBOX_IMAGE_BUILD_FAILED', `Building the sandbox image ${spec.name} failed: ${(error as Error).message.split('\n')[0]}\n${tailOf(log, 15)}`, {
      suggestions: [`See the build log ${log}.`, 'Check that apt-get update works on this machine (the image uses its apt sources).'],
      cause: error,
    })
  }
}

/** Temporary build directories left by a killed build (their PID is gone). */
function removeAbandonedBuilds(imagesDir: string, name: string): void {
  for (const entry of readdirSync(imagesDir)) {
    const match = new RegExp(`^\\.(?:build-${name}-(\\d+)-[0-9a-f]+|old-${name}-[0-9a-f]+)$`).exec(entry)
    if (!match) continue
    const pid = match[1] ? Number(match[1]) : undefined
    if (pid === undefined || !existsSync(`/proc/${pid}`)) rmSync(join(imagesDir, entry), {recursive: true, force: true})
  }
}

async function buildBase(spec: ImageSpec, options: ImageOptions): Promise<ImageStamp> {
  const started = Date.now()
  const archive = debianArchive()
  return inTemporaryDir(spec, options, async (tmp, log) => {
    options.onProgress?.(`building the base image with debootstrap from ${archive.mirror} (once, about a minute)`)
    await execa('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES.join(',')}`, 'bookworm', tmp, archive.mirror], {
      stdin: 'ignore',
      stdout: {file: log, append: true},
      stderr: {file: log, append: true},
    })
    customizeBase(tmp, archive)
    return {name: spec.name, recipeVersion: RECIPE_VERSION, packages: normalized(BASE_PACKAGES), archive, builtAt: new Date().toISOString(), buildSeconds: seconds(started)}
  })
}

function write(root: string, path: string, content: string, mode = 0o644): void {
  const file = join(root, path)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, content, {mode})
}

function mask(root: string, unit: string): void {
  const link = join(root, 'etc/systemd/system', unit)
  rmSync(link, {force: true})
  symlinkSync('/dev/null', link)
}

/** Everything the base image needs beyond debootstrap; see image-recipe.ts. */
export function customizeBase(root: string, archive: DebianArchive): void {
  // Every boot gets its own machine id and the hostname nspawn gives it.
  write(root, 'etc/machine-id', '')
  rmSync(join(root, 'etc/hostname'), {force: true})
  write(root, 'etc/hosts', ETC_HOSTS)
  // Host keys come per sandbox; none shared through the image.
  for (const entry of readdirSync(join(root, 'etc/ssh'))) {
    if (entry.startsWith('ssh_host_')) rmSync(join(root, 'etc/ssh', entry), {force: true})
  }
  mkdirSync(join(root, GUEST_PATHS.hostKeyDir), {recursive: true, mode: 0o755})
  write(root, 'etc/ssh/sshd_config.d/odoops-sandbox.conf', SSHD_CONFIG)
  mkdirSync(join(root, 'root/.ssh'), {recursive: true, mode: 0o700})
  // Mount targets for the per-sandbox bind mounts.
  write(root, GUEST_PATHS.authorizedKeys, '', 0o600)
  write(root, GUEST_PATHS.network, '')
  write(root, GUEST_PATHS.aptProxy, '')
  mkdirSync(join(root, GUEST_PATHS.fixtureApt), {recursive: true})
  write(root, 'etc/systemd/system/odoops-net.service', NETWORK_UNIT)
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants')
  mkdirSync(wants, {recursive: true})
  rmSync(join(wants, 'odoops-net.service'), {force: true})
  symlinkSync('/etc/systemd/system/odoops-net.service', join(wants, 'odoops-net.service'))
  for (const unit of MASKED_UNITS) mask(root, unit)
  write(root, 'etc/apt/sources.list', bookwormSourcesList(archive))
  rmSync(join(root, 'var/cache/apt/archives'), {recursive: true, force: true})
  mkdirSync(join(root, 'var/cache/apt/archives/partial'), {recursive: true})
}

async function buildDerived(spec: ImageSpec, base: ImageInfo, options: ImageOptions): Promise<ImageStamp> {
  const started = Date.now()
  const packages = normalized(spec.packages)
  return inTemporaryDir(spec, options, async (tmp, log) => {
    options.onProgress?.(`building the ${spec.name} image: base + ${packages.join(' ')} (once)`)
    await execa('cp', ['-a', '--reflink=auto', base.dir, tmp])
    rmSync(join(tmp, 'etc/odoops-image.json'), {force: true})
    // No service may start while packages install in a container that is not booted.
    write(tmp, 'usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', 0o755)
    // Not booted and without --network-veth: the container uses this machine's network, so
    // apt reaches the archive directly (no proxy needed for the build).
    const nspawn = (command: string[]) =>
      execa('systemd-nspawn', ['--quiet', '--register=no', '--keep-unit', '--as-pid2', `--machine=odoops-build-${process.pid}`, '--setenv=DEBIAN_FRONTEND=noninteractive', '-D', tmp, ...command], {
        stdin: 'ignore',
        stdout: {file: log, append: true},
        stderr: {file: log, append: true},
      })
    await nspawn(['apt-get', 'update', '-q'])
    await nspawn(['apt-get', 'install', '-y', '-q', ...packages])
    await nspawn(['apt-get', 'clean'])
    rmSync(join(tmp, 'usr/sbin/policy-rc.d'), {force: true})
    rmSync(join(tmp, 'var/lib/apt/lists'), {recursive: true, force: true})
    mkdirSync(join(tmp, 'var/lib/apt/lists/partial'), {recursive: true})
    write(tmp, 'etc/machine-id', '')
    return {
      name: spec.name,
      recipeVersion: RECIPE_VERSION,
      packages,
      baseBuiltAt: base.builtAt,
      archive: base.archive,
      builtAt: new Date().toISOString(),
      buildSeconds: seconds(started),
    }
  })
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10
}
