import {createReadStream} from 'node:fs'
import {OdoopsError} from '../../errors.js'
import {changeOf, type Change} from '../../remote/files.js'
import type {SshConnection} from '../../ssh/connection.js'
import {script, shell, type RemoteCommand} from '../../ssh/quote.js'
import {HOST_ADDONS_ROOT, releaseDir} from './layout.js'

/** A release of up to 1 GiB (the sources' limit) crossing a slow link. */
const UPLOAD_TIMEOUT_MS = 60 * 60_000

/**
 * The host side of an upload: the release tar arrives on stdin into a temporary directory
 * beside its final place, its SHA-256 is checked (the directory is named by it, so it must
 * hold exactly that release), it is extracted there and renamed into place in one rename(2):
 * `<root>/<sha256>` is either absent or whole. An existing directory is that release already
 * (`unchanged`; stdin is drained). Extracted as root with the archive's modes (0755/0644: the
 * tar is canonical), owned by root, so the odoo user reads and never writes it.
 */
export function uploadReleaseCommand(sha256: string, root = HOST_ADDONS_ROOT): RemoteCommand {
  const dir = releaseDir(sha256, root)
  return script([
    shell`mkdir -p -- ${root}`,
    shell`chmod 755 -- ${root}`,
    shell`if [ -d ${dir} ]; then cat > /dev/null; echo unchanged; exit 0; fi`,
    shell`tmp=$(mktemp -d -- ${`${root}/.upload-XXXXXX`})`,
    shell`trap 'rm -rf -- "$tmp"' EXIT`,
    shell`cat > "$tmp/release.tar"`,
    shell`if ! printf '%s  %s\\n' ${sha256} "$tmp/release.tar" | sha256sum --check --status; then echo 'the release arrived damaged: its SHA-256 differs' >&2; exit 1; fi`,
    shell`mkdir -- "$tmp/tree"`,
    shell`tar -x --no-same-owner --same-permissions -f "$tmp/release.tar" -C "$tmp/tree"`,
    shell`chmod 755 -- "$tmp/tree"`,
    // The directory's time is its upload time: prune leaves young ones alone (a deploy in flight).
    shell`touch -- "$tmp/tree"`,
    // Another deploy may have put the same release there meanwhile: that is the same content.
    shell`if mv -T -- "$tmp/tree" ${dir} 2>/dev/null; then echo changed; elif [ -d ${dir} ]; then echo unchanged; else echo ${`cannot create ${dir}`} >&2; exit 1; fi`,
  ])
}

/** Streams the local release tar to the host's release directory; `unchanged` when it is there. */
export async function uploadRelease(conn: SshConnection, sha256: string, tarPath: string): Promise<Change> {
  const result = await conn.exec(uploadReleaseCommand(sha256), {root: true, stdin: createReadStream(tarPath), timeoutMs: UPLOAD_TIMEOUT_MS})
  if (result.code !== 0) {
    const stderr = result.stderr.toString('utf8').trim().split('\n').slice(-5).join('\n')
    throw new OdoopsError('ADDONS_UPLOAD_FAILED', `Could not copy release ${sha256.slice(0, 12)} to ${releaseDir(sha256)} on ${conn.target.name}${stderr ? `: ${stderr}` : '.'}`, {
      suggestions: [`Check the free space under ${HOST_ADDONS_ROOT} on the host (odoops host check ${conn.target.name}), then deploy again.`],
      data: {host: conn.target.name, release: sha256, stderr},
    })
  }
  return changeOf(result.stdout.toString('utf8'))
}
