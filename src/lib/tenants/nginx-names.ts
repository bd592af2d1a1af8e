/**
 * `server_name`s per configuration file from `nginx -T` output, which prints every file
 * it loaded after a `# configuration file <path>:` line. Used to refuse a domain another
 * site on the host already serves.
 */
export function serverNamesByFile(dump: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let file = ''
  for (const line of dump.split('\n')) {
    const header = /^# configuration file (.+):\s*$/.exec(line)
    if (header) {
      file = header[1]
      continue
    }
    const directive = /^\s*server_name\s+([^;#]+);/.exec(line)
    if (!directive || !file) continue
    const names = directive[1].trim().split(/\s+/).map((n) => n.toLowerCase())
    out.set(file, [...(out.get(file) ?? []), ...names])
  }
  return out
}

/** Files (other than `ownFile`) whose server_name matches `domain` exactly or by a wildcard. */
export function filesServing(dump: string, domain: string, ownFile?: string): string[] {
  const matches = (name: string) =>
    name === domain || (name.startsWith('*.') && domain.endsWith(name.slice(1))) || (name.startsWith('.') && (domain === name.slice(1) || domain.endsWith(name)))
  return [...serverNamesByFile(dump)].filter(([file, names]) => file !== ownFile && !file.endsWith(`/${ownFile}`) && names.some(matches)).map(([file]) => file)
}
