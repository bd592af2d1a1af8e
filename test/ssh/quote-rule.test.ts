import {expect} from 'chai'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {ROOT} from '../helpers/cli.js'

/**
 * The quoting rule, enforced: every remote command is built by src/lib/ssh/quote.ts. The
 * compiler already refuses a plain string where a RemoteCommand is expected; this test
 * catches the ways around it (casts, a second SSH client, shelling out to `ssh`).
 */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

const RULES: {what: string; pattern: RegExp; allowedIn: RegExp}[] = [
  {what: 'a cast to RemoteCommand', pattern: /as\s+(unknown\s+as\s+)?RemoteCommand\b/, allowedIn: /^src\/lib\/ssh\/quote\.ts$/},
  {what: 'new RemoteCommand', pattern: /new\s+RemoteCommand\b/, allowedIn: /^src\/lib\/ssh\/quote\.ts$/},
  {what: 'ssh2 used outside the SSH layer', pattern: /from\s+['"]ssh2['"]|require\(['"]ssh2['"]\)/, allowedIn: /^src\/lib\/ssh\//},
  {what: 'a command string passed to exec directly', pattern: /\.exec\(\s*[`'"]/, allowedIn: /^$/},
  {what: 'a command built by concatenation passed to exec', pattern: /\.exec(Stream)?\(\s*[^)]*\+\s*['"`]/, allowedIn: /^$/},
  {what: 'the ssh client binary spawned', pattern: /(execa|spawn|execFile|execFileSync|spawnSync)\(\s*['"](ssh|\/usr\/bin\/ssh)['"]/, allowedIn: /^$/},
  {what: 'ssh2 client.exec with .text built elsewhere', pattern: /client\.exec\(/, allowedIn: /^src\/lib\/ssh\/connection\.ts$/},
]

describe('ssh/quote rule: no other way to build remote commands', () => {
  it('src/ has no casts to RemoteCommand, no second SSH client and no raw command strings', () => {
    const violations: string[] = []
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file)
      const lines = readFileSync(file, 'utf8').split('\n')
      lines.forEach((line, i) => {
        for (const rule of RULES) {
          if (rule.pattern.test(line) && !rule.allowedIn.test(rel)) violations.push(`${rel}:${i + 1}: ${rule.what}: ${line.trim()}`)
        }
      })
    }
    expect(violations, violations.join('\n')).to.deep.equal([])
  })

  it('the rules catch what they are meant to catch', () => {
    const samples = ['conn.exec(`rm -rf ${dir}`)', "x as unknown as RemoteCommand", "conn.exec('ls ' + dir)", "import {Client} from 'ssh2'", "execa('ssh', [host, cmd])"]
    for (const sample of samples) expect(RULES.some((r) => r.pattern.test(sample)), sample).to.equal(true)
  })
})
