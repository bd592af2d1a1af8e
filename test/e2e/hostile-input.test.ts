import {expect} from 'chai'
import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'
import {pathToFileURL} from 'node:url'
import {LocalStore} from '../../src/lib/state/local-store.js'
import {BIN, isolatedEnv, ROOT} from '../helpers/cli.js'
import {ERROR_SCHEMA, schemaErrors} from '../helpers/json-schema.js'
import {rememberDataDir, rememberOutput} from '../helpers/secrets.js'

/**
 * Careless and hostile input (issue 20): every case runs twice, plain and with --json, each in
 * its own isolated directories, under a 20 s watchdog. Each must exit with its code and name
 * its error, print exactly one error document (valid against schemas/error.json) under --json,
 * show no stack trace, and write nothing: the config file, the files given, the working
 * directory and the existing state store stay as they were (a refused audited command may only
 * append its audit event to the store, which is what the audit trail is for).
 *
 * By default the built CLI runs (bin/run.js: `npm run build` first, as npm test does). With
 * ODOOPS_TEST_SOURCES=1 the TypeScript sources run instead (test/helpers/run-sources.ts), to
 * try a change without building:
 *   ODOOPS_TEST_SOURCES=1 npx mocha --no-config --node-option import=tsx --require test/setup.ts --extension ts test/e2e/hostile-input.test.ts
 */

const WATCHDOG_MS = 20_000
const SOURCES = process.env.ODOOPS_TEST_SOURCES === '1'
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

/** A "billion laughs" document: 9 levels of 9 aliases each, 387 million strings once expanded. */
const BOMB = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]', ...'bcdefghi'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill('*' + 'abcdefghi'[i]).join(',')}]`)].join('\n') + '\n'

interface Sandbox {
  base: string
  env: Record<string, string>
  /** The working directory of the run. */
  work: string
  /** Input files of the cases. */
  files: string
  configDir: string
  dataDir: string
}

/** Isolated dirs with a config file and an existing default store: what a refused command must leave as it is. */
function sandbox(): Sandbox {
  const env = isolatedEnv()
  const base = dirname(env.ODOOPS_CONFIG_DIR)
  const sb: Sandbox = {base, env, work: join(base, 'work'), files: join(base, 'files'), configDir: env.ODOOPS_CONFIG_DIR, dataDir: env.ODOOPS_DATA_DIR}
  for (const dir of [sb.work, sb.files, sb.configDir]) mkdirSync(dir, {recursive: true})
  writeFileSync(join(sb.configDir, 'config.json'), JSON.stringify({'partner.country': 'BE'}, null, 2) + '\n', {mode: 0o600})
  LocalStore.open(join(sb.dataDir, 'state'))
  writeFileSync(join(sb.files, 'bomb.yaml'), BOMB)
  writeFileSync(join(sb.files, 'unresolved.yaml'), 'id: basic\nname: *nowhere\n')
  writeFileSync(join(sb.files, 'syntax.yaml'), 'a: [1, 2\n')
  writeFileSync(join(sb.files, 'not-a-dump.json'), '{"x": 1}\n')
  mkdirSync(join(sb.files, 'a-directory'))
  return sb
}

/** What a run may change: the audit trail of the existing store (audit.jsonl, meta.json naming its sequence, locks). */
const AUDIT_TRAIL = /^data\/state\/(audit\.jsonl|meta\.json|\.lock|locks(\/.*)?)$/

/** Every path under `root` with its kind and content hash (symlinks not followed). */
function snapshot(root: string): Map<string, string> {
  const entries = new Map<string, string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const rel = relative(root, path)
      if (AUDIT_TRAIL.test(rel)) continue
      const stats = lstatSync(path)
      if (stats.isSymbolicLink()) entries.set(rel, `link → ${readlinkSync(path)}`)
      else if (stats.isDirectory()) {
        entries.set(rel, 'dir')
        walk(path)
      } else entries.set(rel, `file ${(stats.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`)
    }
  }
  walk(root)
  return entries
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const found: string[] = []
  for (const [path, what] of after) if (before.get(path) !== what) found.push(`${before.has(path) ? 'changed' : 'created'}: ${path}`)
  for (const path of before.keys()) if (!after.has(path)) found.push(`removed: ${path}`)
  return found
}

/** Existence, kind, size and mtime of a path outside the sandbox. */
function outsideState(path: string): string {
  if (!existsSync(path)) return 'absent'
  const stats = statSync(path)
  return `${stats.isDirectory() ? 'dir' : 'file'} ${stats.size} ${stats.mtimeMs}`
}

interface Run {
  exitCode: number
  stdout: string
  stderr: string
}

async function odoops(label: string, args: string[], sb: Sandbox, extraEnv: Record<string, string> = {}): Promise<Run> {
  const [file, argv] = SOURCES ? ['node', ['--import', TSX, join(ROOT, 'test', 'helpers', 'run-sources.ts'), ...args]] : ['node', [BIN, ...args]]
  const result = await execa(file, argv, {
    cwd: sb.work,
    env: {...sb.env, ODOOPS_STATE: undefined, ODOOPS_CONTENT_TYPE: undefined, ...extraEnv, NO_COLOR: '1'},
    extendEnv: true,
    reject: false,
    stdin: 'ignore',
    timeout: WATCHDOG_MS,
    killSignal: 'SIGKILL',
  })
  if (result.timedOut) throw new Error(`${label}: still running after ${WATCHDOG_MS / 1000} s, killed by the watchdog`)
  rememberOutput(`stdout of ${label}`, result.stdout)
  rememberOutput(`stderr of ${label}`, result.stderr)
  rememberDataDir(sb.dataDir)
  return {exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr}
}

interface Case {
  name: string
  args: (sb: Sandbox) => string[]
  env?: (sb: Sandbox) => Record<string, string>
  setup?: (sb: Sandbox) => void
  exit: number
  code: string
  /** A fix of issue 20: its "Try this" holds a command to run (odoops …, unset …). */
  fix?: boolean
  /** A suggestion that must be there, word for word. */
  suggests?: string
  /** What the message must name (e.g. the file). */
  mentions?: (sb: Sandbox) => string[]
  /** Text that no suggestion may echo (hostile input must not become a suggested command). */
  neverSuggests?: string[]
  /** Paths outside the sandbox that must stay as they were. */
  outside?: string[]
  /** Why the case is skipped for now (a fix waiting in a file of another engineer). */
  pending?: string
}

/** invoice export refuses these (src/lib/billing/export/output.ts); its "Try this" does not hold a command to run yet. */

const fixes: Case[] = [
  // 1. Paths odoops creates are checked first (a recursive mkdir under /proc never ends).
  {name: '--state under /proc', args: () => ['host', 'list', '--state', '/proc/nope/x'], exit: 2, code: 'STATE_URL_INVALID', fix: true, outside: ['/proc/nope']},
  {name: 'ODOOPS_DATA_DIR under /proc', args: () => ['host', 'list'], env: () => ({ODOOPS_DATA_DIR: '/proc/nope/d'}), exit: 2, code: 'DATA_DIR_INVALID', fix: true, suggests: 'Point ODOOPS_DATA_DIR at a directory you can write to, or unset it: unset ODOOPS_DATA_DIR'},
  {name: 'ODOOPS_CONFIG_DIR under /proc (config set)', args: () => ['config', 'set', 'partner.name', 'Acme'], env: () => ({ODOOPS_CONFIG_DIR: '/proc/nope/c'}), exit: 2, code: 'CONFIG_DIR_INVALID', fix: true},
  {name: 'invoice export -o under /proc', args: () => ['invoice', 'export', '--period', '2026-03', '--format', 'csv', '-o', '/proc/nope/out'], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true},
  {name: 'backup target add --path under /proc', args: () => ['backup', 'target', 'add', 'nas', '--type', 'local', '--path', '/proc/nope/b'], exit: 2, code: 'BACKUP_TARGET_PATH_INVALID', fix: true},
  {name: 'state export -o under /proc', args: () => ['state', 'export', '-o', '/proc/nope/dump.json'], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true},
  {name: 'pack new --dir under /proc', args: () => ['pack', 'new', 'demo-pack', '--dir', '/proc/nope'], exit: 2, code: 'PACK_DIR_INVALID', fix: true},
  // 2. --state that is a file, a device, a file URL with a host, empty.
  {name: '--state /etc/passwd', args: () => ['host', 'list', '--state', '/etc/passwd'], exit: 2, code: 'STATE_URL_INVALID', fix: true, outside: ['/etc/passwd']},
  {name: '--state /dev/null', args: () => ['host', 'list', '--state', '/dev/null'], exit: 2, code: 'STATE_URL_INVALID', fix: true},
  {name: '--state file://host/x', args: () => ['host', 'list', '--state', 'file://host/x'], exit: 2, code: 'STATE_URL_INVALID'},
  {name: "--state ''", args: () => ['host', 'list', '--state', ''], exit: 2, code: 'STATE_URL_INVALID'},
  {name: '--state a file given by a file:// URL', args: (sb) => ['host', 'list', '--state', pathToFileURL(join(sb.files, 'bomb.yaml')).href], exit: 2, code: 'STATE_URL_INVALID', fix: true},
  // 3. YAML alias bombs ("billion laughs"): the command's *_INVALID code, naming the file.
  {name: 'template validate: alias bomb', args: (sb) => ['template', 'validate', join(sb.files, 'bomb.yaml')], exit: 2, code: 'TEMPLATE_INVALID', fix: true, mentions: (sb) => [join(sb.files, 'bomb.yaml')]},
  {name: 'plan validate: alias bomb', args: (sb) => ['plan', 'validate', join(sb.files, 'bomb.yaml')], exit: 2, code: 'PLAN_INVALID', fix: true, mentions: (sb) => [join(sb.files, 'bomb.yaml')]},
  {name: 'plan apply: alias bomb', args: (sb) => ['plan', 'apply', join(sb.files, 'bomb.yaml')], exit: 2, code: 'PLAN_INVALID', fix: true, mentions: (sb) => [join(sb.files, 'bomb.yaml')]},
  {name: 'plan validate: alias to no anchor', args: (sb) => ['plan', 'validate', join(sb.files, 'unresolved.yaml')], exit: 2, code: 'PLAN_INVALID', mentions: (sb) => [join(sb.files, 'unresolved.yaml')]},
  {name: 'schedule validate: alias bomb', args: (sb) => ['schedule', 'validate', join(sb.files, 'bomb.yaml')], exit: 2, code: 'SCHEDULE_INVALID', fix: true, mentions: (sb) => [join(sb.files, 'bomb.yaml')]},
  {name: 'schedule apply: alias bomb', args: (sb) => ['schedule', 'apply', join(sb.files, 'bomb.yaml')], exit: 2, code: 'SCHEDULE_INVALID', fix: true, mentions: (sb) => [join(sb.files, 'bomb.yaml')]},
  {
    name: 'onboard --answers: alias bomb',
    args: (sb) => ['onboard', '--template', 'starter', '--answers', join(sb.files, 'bomb.yaml'), '--yes', '--credentials-file', join(sb.work, 'logins.yaml')],
    exit: 2,
    code: 'ANSWERS_FILE_INVALID',
    mentions: (sb) => [join(sb.files, 'bomb.yaml')],
  },
  // 4. state export / invoice export -o.
  {name: 'state export -o an existing directory', args: (sb) => ['state', 'export', '-o', join(sb.files, 'a-directory')], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true},
  {name: 'state export -o in a missing directory', args: () => ['state', 'export', '-o', '/nodir/x.json'], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true, outside: ['/nodir']},
  {name: "state export -o ''", args: () => ['state', 'export', '-o', ''], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true},
  {name: 'invoice export -o an existing file', args: () => ['invoice', 'export', '--period', '2026-03', '--format', 'csv', '-o', '/etc/passwd'], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true, outside: ['/etc/passwd']},
  {name: "invoice export -o ''", args: () => ['invoice', 'export', '--period', '2026-03', '--format', 'csv', '-o', ''], exit: 2, code: 'OUTPUT_PATH_INVALID', fix: true},
  // 5. backup target add local: absolute directories only.
  {name: "backup target add --path ''", args: () => ['backup', 'target', 'add', 'nas', '--type', 'local', '--path', ''], exit: 2, code: 'BACKUP_TARGET_PATH_INVALID', fix: true},
  {name: 'backup target add --path relative', args: () => ['backup', 'target', 'add', 'nas', '--type', 'local', '--path', 'backups/nas'], exit: 2, code: 'BACKUP_TARGET_PATH_INVALID', fix: true},
  {name: 'backup target add --path an existing file', args: (sb) => ['backup', 'target', 'add', 'nas', '--type', 'local', '--path', join(sb.files, 'bomb.yaml')], exit: 2, code: 'BACKUP_TARGET_PATH_INVALID', fix: true},
  // 6. config: state checked like --state, no prototype keys, Peppol endpoints, no empty strings.
  {name: 'config set state ftp://x', args: () => ['config', 'set', 'state', 'ftp://x'], exit: 2, code: 'CONFIG_INVALID_VALUE', fix: true},
  {name: 'config set state under /proc', args: () => ['config', 'set', 'state', '/proc/nope/x'], exit: 2, code: 'CONFIG_INVALID_VALUE', fix: true},
  {name: 'a stored state setting that is invalid', args: () => ['host', 'list'], setup: (sb) => writeFileSync(join(sb.configDir, 'config.json'), '{"state": "ftp://x"}\n'), exit: 2, code: 'STATE_URL_INVALID', fix: true, suggests: 'odoops config unset state'},
  {name: 'a stored state setting that is empty', args: () => ['host', 'list'], setup: (sb) => writeFileSync(join(sb.configDir, 'config.json'), '{"state": ""}\n'), exit: 2, code: 'STATE_URL_INVALID', fix: true, suggests: 'odoops config unset state'},
  {name: 'ODOOPS_STATE that is invalid', args: () => ['host', 'list'], env: () => ({ODOOPS_STATE: 'ftp://x'}), exit: 2, code: 'STATE_URL_INVALID', fix: true, suggests: 'unset ODOOPS_STATE'},
  {name: 'config set __proto__', args: () => ['config', 'set', '__proto__', 'x'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'config set toString', args: () => ['config', 'set', 'toString', 'x'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'config set hasOwnProperty', args: () => ['config', 'set', 'hasOwnProperty', 'x'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'config set constructor', args: () => ['config', 'set', 'constructor', 'x'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'config get __proto__', args: () => ['config', 'get', '__proto__'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'config set partner.endpointId without a scheme', args: () => ['config', 'set', 'partner.endpointId', 'nocolon'], exit: 2, code: 'CONFIG_INVALID_VALUE', fix: true, suggests: 'odoops config set partner.endpointId 0208:0123456789'},
  {name: 'config set partner.endpointId with a scheme outside the EAS list', args: () => ['config', 'set', 'partner.endpointId', '1234:0123456789'], exit: 2, code: 'CONFIG_INVALID_VALUE', fix: true},
  {name: "config set partner.name ''", args: () => ['config', 'set', 'partner.name', ''], exit: 2, code: 'CONFIG_INVALID_VALUE', fix: true, suggests: 'odoops config unset partner.name'},
  // 7. host add: addresses and users checked before any connection; suggestions only echo valid names.
  {name: 'host add --address with a space and a ;', args: () => ['host', 'add', 'web1', '--address', 'a b;touch x', '--trust-new-host-key'], exit: 2, code: 'HOST_ADDRESS_INVALID', fix: true, neverSuggests: ['touch', ';']},
  {name: 'host add --address with a newline and ProxyCommand', args: () => ['host', 'add', 'web1', '--address', 'h\nProxyCommand touch pwned', '--trust-new-host-key'], exit: 2, code: 'HOST_ADDRESS_INVALID', fix: true, neverSuggests: ['ProxyCommand', 'pwned']},
  {name: 'host add --address=-oProxyCommand=…', args: () => ['host', 'add', 'web1', '--address=-oProxyCommand=touch pwned', '--trust-new-host-key'], exit: 2, code: 'HOST_ADDRESS_INVALID', fix: true, neverSuggests: ['ProxyCommand', 'pwned']},
  {name: 'host add --address of 100000 characters', args: () => ['host', 'add', 'web1', '--address', 'a'.repeat(100_000), '--trust-new-host-key'], exit: 2, code: 'HOST_ADDRESS_INVALID', fix: true, neverSuggests: ['a'.repeat(300)]},
  {name: 'host add --address [not ipv6]', args: () => ['host', 'add', 'web1', '--address', '[web1.example.com]', '--trust-new-host-key'], exit: 2, code: 'HOST_ADDRESS_INVALID', fix: true},
  {name: "host add --user 'root;id'", args: () => ['host', 'add', 'web1', '--address', '203.0.113.10', '--user', 'root;id', '--trust-new-host-key'], exit: 2, code: 'HOST_USER_INVALID', fix: true, neverSuggests: ['root;id']},
  {name: 'host remove ../../etc', args: () => ['host', 'remove', '../../etc', '--confirm', '../../etc'], exit: 2, code: 'HOST_NOT_FOUND', neverSuggests: ['../../etc']},
]

/** Input that was already handled well: kept that way. */
const regressions: Case[] = [
  {name: 'an unknown flag', args: () => ['config', 'list', '--frobnicate'], exit: 2, code: 'USAGE'},
  {name: 'a missing argument', args: () => ['config', 'set'], exit: 2, code: 'USAGE'},
  {name: 'a value outside the options', args: () => ['backup', 'target', 'add', 'nas', '--type', 'ftp', '--path', '/srv/backups'], exit: 2, code: 'USAGE'},
  {name: 'a bad --since', args: () => ['audit', 'list', '--since', 'soon'], exit: 2, code: 'AUDIT_SINCE_INVALID'},
  {name: 'an unknown config key', args: () => ['config', 'get', 'nope'], exit: 2, code: 'CONFIG_UNKNOWN_KEY'},
  {name: 'a bad country', args: () => ['config', 'set', 'partner.country', 'Belgium'], exit: 2, code: 'CONFIG_INVALID_VALUE'},
  {name: 'a bad number', args: () => ['config', 'set', 'ssh.connectTimeout', 'soon'], exit: 2, code: 'CONFIG_INVALID_VALUE'},
  {name: 'an invalid tenant slug', args: (sb) => ['tenant', 'create', 'Bad_Slug', '--host', 'web1', '--domain', 'erp.example.com', '--credentials-file', join(sb.work, 'admin.yaml')], exit: 2, code: 'TENANT_SLUG_INVALID'},
  {name: 'a --state URL of another scheme', args: () => ['host', 'list', '--state', 'ftp://x/y'], exit: 2, code: 'STATE_URL_INVALID'},
  {name: 'a --state that is a bare word', args: () => ['host', 'list', '--state', 'failed'], exit: 2, code: 'STATE_URL_INVALID'},
  {name: 'an invalid host name', args: () => ['host', 'add', 'Web_1', '--address', '203.0.113.10'], exit: 2, code: 'HOST_NAME_INVALID'},
  {name: 'a bad host key fingerprint', args: () => ['host', 'add', 'web1', '--address', '203.0.113.10', '--host-key', 'nope'], exit: 2, code: 'HOST_KEY_INVALID'},
  {name: 'an invalid backup target name', args: (sb) => ['backup', 'target', 'add', 'NAS', '--type', 'local', '--path', join(sb.base, 'nas')], exit: 2, code: 'BACKUP_TARGET_NAME_INVALID'},
  {name: 'a bad billing period', args: (sb) => ['invoice', 'export', '--period', '2026-13', '--format', 'csv', '-o', join(sb.work, 'out')], exit: 2, code: 'INVOICE_PERIOD_INVALID'},
  {name: 'a missing plan file', args: (sb) => ['plan', 'validate', join(sb.files, 'nope.yaml')], exit: 2, code: 'PLAN_FILE_NOT_FOUND'},
  {name: 'a template with a YAML syntax error', args: (sb) => ['template', 'validate', join(sb.files, 'syntax.yaml')], exit: 2, code: 'TEMPLATE_INVALID', mentions: (sb) => [join(sb.files, 'syntax.yaml')]},
  {name: 'a file that is no state dump', args: (sb) => ['state', 'import', join(sb.files, 'not-a-dump.json')], exit: 2, code: 'STATE_DUMP_INVALID'},
  {name: 'an unknown tenant', args: () => ['tenant', 'show', 'nope'], exit: 2, code: 'TENANT_NOT_FOUND'},
]

const STACK_LINE = /^\s+at /m
/** A suggestion that holds a command to run. */
const COMMAND = /(^|[:\s])(odoops|unset) \S/

async function runCase(c: Case, json: boolean): Promise<void> {
  const label = `${c.name}${json ? ' (--json)' : ''}`
  const sb = sandbox()
  c.setup?.(sb)
  const before = snapshot(sb.base)
  const outsideBefore = (c.outside ?? []).map(outsideState)
  const args = [...c.args(sb), ...(json ? ['--json'] : [])]
  const run = await odoops(label, args, sb, c.env?.(sb))
  const context = `${label}\nexit ${run.exitCode}\nstdout: ${run.stdout.slice(0, 2000)}\nstderr: ${run.stderr.slice(0, 2000)}`

  expect(run.exitCode, context).to.equal(c.exit)
  expect(run.stderr, `${context}\n(a stack trace without --verbose)`).to.not.match(STACK_LINE)
  let message: string
  let suggestions: string[]
  if (json) {
    let document: any
    expect(() => (document = JSON.parse(run.stdout)), `${context}\n(stdout is not one JSON document)`).to.not.throw()
    expect(run.stdout.startsWith('{\n'), `${context}\n(not a pretty-printed object)`).to.equal(true)
    expect(schemaErrors(ERROR_SCHEMA, document), context).to.deep.equal([])
    expect(document.error.code, context).to.equal(c.code)
    expect(document.error.exitCode, context).to.equal(c.exit)
    message = document.error.message
    suggestions = document.error.suggestions
  } else {
    expect(run.stdout, `${context}\n(stdout of a failed run)`).to.equal('')
    const start = run.stderr.search(/^Error \(/m)
    const match = start < 0 ? null : /^Error \(([A-Z0-9_]+)\): ([\s\S]*?)(?:\n\nTry this:\n([\s\S]*))?$/.exec(run.stderr.slice(start).trimEnd())
    expect(match, `${context}\n(no "Error (CODE): message" on stderr)`).to.not.equal(null)
    expect(match![1], context).to.equal(c.code)
    message = match![2]
    suggestions = (match![3] ?? '').split('\n').filter(Boolean).map((line) => line.trim())
  }

  if (c.fix) expect(suggestions.some((s) => COMMAND.test(s)), `${context}\n(no command to run in "Try this")`).to.equal(true)
  if (c.suggests) expect(suggestions, context).to.include(c.suggests)
  for (const text of c.neverSuggests ?? []) expect(suggestions.filter((s) => s.includes(text)), `${context}\n(a suggestion echoes ${JSON.stringify(text.slice(0, 40))})`).to.deep.equal([])
  for (const text of c.mentions?.(sb) ?? []) expect(message, context).to.contain(text)

  expect(changes(before, snapshot(sb.base)), `${context}\n(written by a refused command)`).to.deep.equal([])
  expect((c.outside ?? []).map(outsideState), `${context}\n(outside paths changed)`).to.deep.equal(outsideBefore)
}

describe(`careless and hostile input: exit code, one error document, nothing written (issue 20; ${SOURCES ? 'sources' : 'built CLI'})`, () => {
  for (const [group, cases] of [['refused', fixes], ['already refused (regressions)', regressions]] as const) {
    describe(group, () => {
      for (const c of cases) {
        const test = c.pending ? it.skip : it
        test(`${c.name}: exit ${c.exit}, ${c.code}${c.pending ? ` (pending: ${c.pending})` : ''}`, async function () {
          this.timeout(3 * WATCHDOG_MS)
          // Plain and --json side by side, each in its own directories.
          await Promise.all([runCase(c, false), runCase(c, true)])
        })
      }
    })
  }
})
