import {command, script, shell, type RemoteCommand} from '../../ssh/quote.js'
import {killableScript} from './pipeline.js'
import {KEEP_STDIN} from './verify.js'

/**
 * Commands a format-2 backup runs on the tenant's host to send the filestore as blobs
 * (pure builders). File names travel on stdin, NUL-separated, never on a command line.
 */

/** `<size>\t<path>\0` for every regular file under `dir` (nothing when absent). */
export function listFilesCommand(dir: string): RemoteCommand {
  return script([shell`if [ -d ${dir} ]; then cd -- ${dir} && find . -type f -printf '%s\\t%P\\0'; fi`])
}

export function parseFileList(output: Buffer): {path: string; size: number}[] {
  const files: {path: string; size: number}[] = []
  for (const record of output.toString('utf8').split('\0')) {
    const tab = record.indexOf('\t')
    if (tab < 0) continue
    files.push({size: Number(record.slice(0, tab)), path: record.slice(tab + 1)})
  }
  return files
}

/** stdin: NUL-separated paths under `dir` → `<sha1>  <path>` lines (files Odoo did not name by content). */
export function sha1Command(dir: string): RemoteCommand {
  return script([shell`cd -- ${dir}`, shell`xargs -0 -r sha1sum --`])
}

export function parseSha1(output: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of output.split('\n')) {
    const match = /^\\?([0-9a-f]{40}) {2}(.*)$/.exec(line)
    if (match) sums.set(match[2], match[1])
  }
  return sums
}

/**
 * stdin: NUL-separated paths under `dir` → a plain tar of exactly those files on stdout.
 * Attachments are mostly compressed already (images, PDFs), and a blob is stored as its
 * bytes (its name is their SHA-1), so nothing is compressed. A file removed meanwhile (Odoo's
 * garbage collector) is skipped, not fatal (`--ignore-failed-read`).
 */
export function tarFilesCommand(dir: string): RemoteCommand {
  const tar = command(['tar', '--create', '--file=-', '--numeric-owner', '--ignore-failed-read', '--warning=no-failed-read', '--directory', dir, '--null', '--verbatim-files-from', '--files-from=-'])
  return killableScript([shell`cd /`, KEEP_STDIN], shell`${tar} <&3`)
}
