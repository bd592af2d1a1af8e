/**
 * System tools a test needs (chromium, psql, PostgreSQL's server binaries, ssh-keygen, zstd…).
 *
 *   const psql = requireTool(this, 'psql', {debianPackage: 'postgresql-client'})   // in it/before
 *   const zstd = locateTool('zstd', {debianPackage: 'zstd'})                        // optional part
 *
 * Like `requireSandboxes` (test/helpers/sandbox.ts): on a developer machine a missing tool
 * skips (with a note on stderr saying what to install), but under CI (env CI set) it FAILS,
 * naming the tool and its install step, so CI never passes by testing nothing.
 * .ci/install-system-deps installs these packages.
 */
import {accessSync, constants} from 'node:fs'
import {delimiter, isAbsolute, join} from 'node:path'

export interface ToolOptions {
  /** The Debian package that provides the tool (the install step named when it is missing). */
  debianPackage: string
  /** Finds the tool (a path), or undefined when it is missing. Default: `name` on PATH, or `name` itself when absolute. */
  locate?: () => string | undefined
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The path of an executable on PATH (and the sbin directories), or undefined. */
export function whichTool(name: string): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean).concat(['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'])
  return dirs.map((dir) => join(dir, name)).find((path) => executable(path))
}

function installStep(options: ToolOptions): string {
  return `install it with \`apt-get install -y ${options.debianPackage}\` (.ci/install-system-deps installs the tools the tests need)`
}

const noted = new Set<string>()

/**
 * Where the tool is; undefined when it is missing here (noted on stderr once), but under CI a
 * missing tool throws. For a test that runs an optional part only when the tool is there.
 */
export function locateTool(name: string, options: ToolOptions): string | undefined {
  const found = options.locate ? options.locate() : whichTool(name)
  if (found) return found
  if (process.env.CI) throw new Error(`A test needs ${name}, which this CI machine lacks: ${installStep(options)}.`)
  if (!noted.has(name)) {
    noted.add(name)
    process.stderr.write(`  NOTICE: ${name} is missing, so the tests that need it are skipped: ${installStep(options)}.\n`)
  }
  return undefined
}

/** Where the tool is; skips the test (or the suite, from a `before`) when it is missing, but fails under CI. */
export function requireTool(context: Mocha.Context, name: string, options: ToolOptions): string {
  return locateTool(name, options) ?? context.skip()
}
