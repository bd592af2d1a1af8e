import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsError} from '../errors.js'

/**
 * The Debian archive this machine already uses, read from its own apt sources (deb822
 * `*.sources` files and one-line `sources.list`). Sandboxes use the same archive: we never
 * hard-code a mirror, since our machines only reach the one configured for them.
 */
export interface AptSource {
  uri: string
  suites: string[]
  components: string[]
}

export function parseDeb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const paragraph of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    let current: string | undefined
    for (const raw of paragraph.split('\n')) {
      if (raw.startsWith('#') || raw.trim() === '') continue
      if (/^\s/.test(raw) && current) {
        fields.set(current, `${fields.get(current)} ${raw.trim()}`)
        continue
      }
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(raw)
      if (!match) continue
      current = match[1].toLowerCase()
      fields.set(current, match[2].trim())
    }
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean)
    if (!words('types').includes('deb')) continue
    if (/^(no|false)$/i.test(fields.get('enabled') ?? '')) continue
    for (const uri of words('uris')) sources.push({uri, suites: words('suites'), components: words('components')})
  }
  return sources
}

export function parseOneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').replace(/\[[^\]]*\]/, '').trim()
    const [type, uri, suite, ...components] = line.split(/\s+/)
    if (type !== 'deb' || !uri || !suite) continue
    sources.push({uri, suites: [suite], components})
  }
  return sources
}

/** All `deb` sources configured under `<root>/etc/apt`. */
export function readAptSources(root = '/'): AptSource[] {
  const sources: AptSource[] = []
  const listFile = join(root, 'etc/apt/sources.list')
  try {
    sources.push(...parseOneLineSources(readFileSync(listFile, 'utf8')))
  } catch {
    // no sources.list: deb822 files only (Debian 12 cloud images)
  }
  const dir = join(root, 'etc/apt/sources.list.d')
  let names: string[]
  try {
    names = readdirSync(dir).sort()
  } catch {
    names = []
  }
  for (const name of names) {
    const text = readFileSync(join(dir, name), 'utf8')
    if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(text))
    else if (name.endsWith('.list')) sources.push(...parseOneLineSources(text))
  }
  return sources
}

export interface DebianArchive {
  /** The main archive (bookworm, bookworm-updates). */
  mirror: string
  /** The security archive, when the machine has one configured. */
  security?: string
}

/** The main Debian archive and the security archive among the machine's sources. */
export function debianArchive(sources: AptSource[] = readAptSources()): DebianArchive {
  const isSecurity = (source: AptSource) => source.suites.some((suite) => suite.endsWith('-security') || suite.endsWith('/updates'))
  const main = sources.find((source) => !isSecurity(source) && source.components.includes('main'))
  if (!main) {
    throw new OdoopsError('SANDBOX_NO_APT_SOURCE', 'This machine has no Debian archive in its apt sources, so a sandbox image cannot be built.', {
      suggestions: ['Configure a Debian archive in /etc/apt/sources.list.d/debian.sources (URIs: …, Suites: bookworm, Components: main) and run apt-get update.'],
    })
  }
  const security = sources.find((source) => isSecurity(source))
  return {mirror: main.uri, ...(security ? {security: security.uri} : {})}
}

/** The sources.list written into a sandbox image: the machine's archive, for bookworm. */
export function bookwormSourcesList(archive: DebianArchive): string {
  const lines = [`deb ${archive.mirror} bookworm main`, `deb ${archive.mirror} bookworm-updates main`]
  if (archive.security) lines.push(`deb ${archive.security} bookworm-security main`)
  return lines.join('\n') + '\n'
}
