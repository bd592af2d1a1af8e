import {OdoopsError} from '../errors.js'
import type {SshConnection} from '../ssh/connection.js'
import {script, shell} from '../ssh/quote.js'
import {assertAbsolutePath} from './files.js'

/** Free bytes for unprivileged use on the file system holding `path` (or its nearest existing parent). */
export async function freeBytes(conn: SshConnection, path: string): Promise<number> {
  assertAbsolutePath(path === '/' ? '/x' : path)
  const out = await conn.run(
    script([shell`p=${path}`, shell`while [ ! -e "$p" ]; do p=$(dirname -- "$p"); done`, shell`df -B1 --output=avail -- "$p" | tail -n 1`]),
    {root: true},
  )
  const bytes = Number(out.trim())
  if (!Number.isFinite(bytes)) throw new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `df on ${conn.target.name} printed "${out.trim()}" for ${path}.`)
  return bytes
}
