/** 200 strings that break naive shell command building: metacharacters, quotes, $( ), backticks, newlines, unicode, leading dashes, empty. */
const BASE = [
  '', ' ', '  ', "'", '"', '\\', '\\\\', "''", '""', "'\"'", "a'b", 'a"b', "it's", '$', '$HOME', '${HOME}', '$(id)', '$(rm -rf /tmp/odoops-never)', '`id`', '`touch /tmp/odoops-pwned`',
  ';', '; echo pwned', '&&', '||', '|', '| cat /etc/passwd', '&', '>', '>>', '<', '<<EOF', '2>&1', '*', '?', '[a-z]', '{a,b}', '~', '~root', '#', '#comment', '!', '!!', '!$',
  '\n', '\r', '\r\n', '\t', 'a\nb', 'line1\nline2\n', '\n\n', ' \t\n ', '\x01\x02\x1b[31m', '\x7f',
  'ü', 'Ünïcødé', '日本語', 'emoji 😀', 'العربية', 'ζ', '\u202e', '\ufeff', 'é\u0301',
  '-n', '-e', '-E', '--', '--help', '-rf', '-', '--version', '-n -e',
  '%s', '%d', '%%', '%n', '\\n', '\\0', '\\x41', "'$(id)'", '"$(id)"', '\'"`$\\',
  'a b c', ' leading', 'trailing ', 'x=1', 'A=B cmd', 'IFS=x', '\\\n', "'\\''", 'exit 1', ')', '(', '}', '{',
]

export function hostileStrings(): string[] {
  const out = new Set<string>(BASE)
  const wrappers: ((s: string) => string)[] = [(s) => `pre${s}`, (s) => `${s}post`, (s) => `-${s}`, (s) => `'${s}'`, (s) => `"${s}"`, (s) => `${s}\n${s}`, (s) => `ü${s}😀`]
  for (const wrap of wrappers) {
    for (const s of BASE) {
      if (out.size >= 200) break
      out.add(wrap(s))
    }
  }
  return [...out].slice(0, 200)
}

/** A file-name form of a string: no `/`, never empty, `.` or `..` (the only bytes names cannot hold, besides NUL). */
export function asFileName(s: string): string {
  return 'f' + s.replaceAll('/', '_')
}
