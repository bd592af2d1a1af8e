import {OdoopsError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell} from '../ssh/quote.js'

/**
 * Files on a host, as root. Contents travel on stdin (never on a command line, where `ps`
 * would show them); writes go to a temporary file in the same directory and are renamed
 * over the target, so readers (nginx, systemd, Odoo) never see half a file (rename(2) is
 * atomic within one file system).
 */
export type Change = 'changed' | 'unchanged'

export interface FileOwnership {
  /** Permission bits, e.g. 0o640. */
  mode: number
  /** Default root. */
  owner?: string
  /** Default: the owner's name (root → root, odoo → odoo). */
  group?: string
}

/** Exit status a script uses for "does not exist" (distinct from a failure). */
const ABSENT = 3

/** Only absolute, normalised paths: a relative path would depend on the login directory. */
export function assertAbsolutePath(path: string): string {
  if (!path.startsWith('/') || path === '/' || /(^|\/)\.\.?(\/|$)/.test(path) || path.includes('//') || path.endsWith('/')) {
    throw new OdoopsError('REMOTE_PATH_INVALID', `"${path}" is not an absolute, normalised path below /.`, {
      suggestions: ['This is a bug in odoops: please report it with the command you ran.'],
    })
  }
  return path
}

function ownership(options: FileOwnership): {mode: string; owner: string} {
  const owner = options.owner ?? 'root'
  return {mode: options.mode.toString(8), owner: `${owner}:${options.group ?? owner}`}
}

function lastWord(stdout: string): string {
  return stdout.trim().split(/\s+/).at(-1) ?? ''
}

/** The change a script reported on its last output line. */
export function changeOf(stdout: string): Change {
  const word = lastWord(stdout)
  if (word !== 'changed' && word !== 'unchanged') throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `Unexpected output from the host: ${stdout.trim().slice(-200)}`)
  return word
}

/** The text of a regular file, or undefined when there is none. */
export async function readRemoteFile(conn: SshConnection, path: string): Promise<string | undefined> {
  assertAbsolutePath(path)
  const result = await conn.exec(shell`if [ -f ${path} ]; then cat -- ${path}; else exit ${ABSENT}; fi`, {root: true})
  if (result.code === ABSENT) return undefined
  if (result.code !== 0) {
    throw new OdoopsError('REMOTE_READ_FAILED', `Cannot read ${path} on ${conn.target.name}: ${result.stderr.toString('utf8').trim()}`)
  }
  return result.stdout.toString('utf8')
}

/**
 * `path` holds exactly `content` with this mode and owner. Unchanged when it already does
 * (compared on the host with cmp, so a large file is not read back); otherwise written
 * atomically. The directory must exist.
 */
export async function ensureRemoteFile(conn: SshConnection, path: string, content: string | Buffer, options: FileOwnership): Promise<Change> {
  assertAbsolutePath(path)
  const {mode, owner} = ownership(options)
  const out = await conn.run(
    script([
      shell`tmp=$(mktemp -- ${path}.odoops-XXXXXX)`,
      shell`trap 'rm -f -- "$tmp"' EXIT`,
      shell`cat > "$tmp"`,
      shell`chmod ${mode} "$tmp"`,
      shell`chown ${owner} "$tmp"`,
      // Same bytes, same mode and owner (compared through stat of the temp file, so the format matches).
      shell`if [ -f ${path} ] && [ ! -L ${path} ] && cmp -s -- "$tmp" ${path} && [ "$(stat -c '%a %U:%G' -- ${path})" = "$(stat -c '%a %U:%G' -- "$tmp")" ]; then echo unchanged; exit 0; fi`,
      shell`mv -f -- "$tmp" ${path}`,
      shell`echo changed`,
    ]),
    {root: true, stdin: content},
  )
  return changeOf(out)
}

/** A directory (and its parents) with this mode and owner. */
export async function ensureDirectory(conn: SshConnection, path: string, options: FileOwnership): Promise<Change> {
  assertAbsolutePath(path)
  const {mode, owner} = ownership(options)
  const out = await conn.run(
    script([
      // stat %a prints the mode in octal without leading zeros, as Number#toString(8) does.
      shell`if [ -d ${path} ] && [ ! -L ${path} ] && [ "$(stat -c '%a %U:%G' -- ${path})" = ${`${mode} ${owner}`} ]; then echo unchanged; exit 0; fi`,
      shell`mkdir -p -- ${path}`,
      shell`chmod ${mode} ${path}`,
      shell`chown ${owner} ${path}`,
      shell`echo changed`,
    ]),
    {root: true},
  )
  return changeOf(out)
}

/** `rm -rf` of one path; unchanged when it does not exist. */
export async function removeRemotePath(conn: SshConnection, path: string): Promise<Change> {
  assertAbsolutePath(path)
  const out = await conn.run(shell`if [ -e ${path} ] || [ -L ${path} ]; then rm -rf -- ${path}; echo changed; else echo unchanged; fi`, {root: true})
  return changeOf(out)
}

/** `mv -T` of a directory (a database's filestore); when `from` is absent, `to` is created empty for odoo. */
export async function moveDirectory(conn: SshConnection, from: string, to: string): Promise<void> {
  assertAbsolutePath(from)
  assertAbsolutePath(to)
  await conn.run(script([shell`if [ -e ${from} ]; then mv -T -- ${from} ${to}; else install -d -o odoo -g odoo -m 0750 -- ${to}; fi`]), {root: true})
}
