import {expect} from 'chai'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {isolatedEnv, runCli, type CliResult} from '../helpers/cli.js'
import {freshDatabase} from '../helpers/pg-cluster.js'
import {newTestSecret} from '../helpers/secrets.js'

const TEMPLATE = 'test/fixtures/templates/with-password.yaml'

/**
 * Failed onboardings given password answers (flags and an answers file), then a search of
 * everything odoops shows or keeps for every secret passed: stdout and stderr of each run,
 * the audit trail (`audit list --json`), `state export`, and every file under the config,
 * data and cache dirs. Those files are all odoops writes locally for these commands: the
 * state store (audit.jsonl, collections, meta) and config.json; odoops keeps no log file
 * of its own (the *.log files in the code are sandbox and systemd logs, and Odoo's on the
 * host). Secrets of 1–3 characters are made of characters no other output contains, so a
 * plain substring search stays meaningful for them too.
 */
describe('secrets given to a failed onboarding leak nowhere', () => {
  const env = isolatedEnv()
  const dir = mkdtempSync(join(tmpdir(), 'odoops-leaks-'))
  const long = {flag: newTestSecret('smtp-flag'), file: newTestSecret('smtp-file'), typo: newTestSecret('smtp-typo'), state: newTestSecret('pg')}
  const short = {one: '¶', two: 'ǂ7', three: 'ʘ~ʘ'}
  const secrets = [...Object.values(long), ...Object.values(short)]
  const results: {label: string; result: CliResult; audited: boolean}[] = []
  const answersFile = join(dir, 'answers.yaml')
  const base = ['--answer', 'company_name=Acme Leaks', '--answer', 'domain=erp.acme-leaks.example.test']

  /** `audited: false`: failed before the audit could be written (no store; a flag oclif rejects before the run). */
  async function onboard(label: string, args: string[], code: number, errorCode: string, audited = true): Promise<void> {
    const result = await runCli(['onboard', ...args], {env})
    results.push({label, result, audited})
    expect(result.code, `${label}: ${result.stderr}`).to.equal(code)
    const errorText = result.json ? result.json.error.code : result.stderr
    expect(errorText, label).to.include(errorCode)
  }

  before(async function () {
    this.timeout(120_000)
    writeFileSync(answersFile, `company_name: Acme Leaks\ndomain: not a domain\nsmtp_password: "${long.file}"\npin: "${short.one}"\n`)
    await onboard('unknown template', ['--template', 'no-such-template', '--answer', `smtp_password=${long.flag}`, `pin=${short.two}`, '--yes'], 2, 'TEMPLATE_NOT_FOUND')
    await onboard('unknown template file', ['--template', join(dir, 'missing.yaml'), `--answer=pin=${short.three}`, '--yes', '--json', '--credentials-file', join(dir, 'c.yaml')], 2, 'TEMPLATE_NOT_FOUND')
    await onboard('invalid answers (file and flags)', ['--template', TEMPLATE, '--answers', answersFile, '--answer', `smtp_pasword=${long.typo}`, '--yes', '--json', '--credentials-file', join(dir, 'c.yaml')], 2, 'ANSWERS_INVALID')
    await onboard('answer too long for its question', ['--template', TEMPLATE, ...base, '--answer', `smtp_password=${long.flag}`, '--answer', `pin=${short.three}x`, '--yes'], 2, 'ANSWERS_INVALID')
    await onboard('no --credentials-file with --json', ['--template', TEMPLATE, ...base, '--answer', `smtp_password=${long.flag}`, '--answer', `pin=${short.two}`, '--yes', '--json'], 2, 'CREDENTIALS_FILE_REQUIRED')
    await onboard('a mistyped flag', ['--template', TEMPLATE, ...base, '--answr', `smtp_password=${long.flag}`, '--yes', '--json', '--credentials-file', join(dir, 'c.yaml')], 2, 'USAGE', false)
    await onboard('no prepared host', ['--template', TEMPLATE, ...base, '--answer', `smtp_password=${long.flag}`, '--answer', `pin=${short.one}`, '--yes', '--json', '--credentials-file', join(dir, 'c.yaml')], 2, 'NO_PREPARED_HOST')
    await onboard('a state URL with a password', ['--template', TEMPLATE, '--state', `postgres://odoops:${long.state}@127.0.0.1:1/odoops`, '--yes'], 2, 'STATE_UNREACHABLE', false)
  })

  it('every failure is in the audit trail, with the password answers hidden and the questions kept', async () => {
    const audit = await runCli(['audit', 'list', '--command', 'onboard', '--json'], {env})
    expect(audit.code, audit.stderr).to.equal(0)
    const events = audit.json.events as {args: string[]; outcome: string}[]
    const audited = results.filter((r) => r.audited).map((r) => r.label)
    expect(events, audited.join(', ')).to.have.length(audited.length)
    const args = Object.fromEntries(audited.map((label, i) => [label, events[i].args]))
    expect(events.every((e) => e.outcome === 'error')).to.equal(true)
    expect(args['unknown template']).to.include.members(['smtp_password=********', 'pin=********'])
    expect(args['unknown template file']).to.include('--answer=pin=********')
    expect(args['invalid answers (file and flags)']).to.include.members([answersFile, 'smtp_pasword=********'])
    expect(args['no --credentials-file with --json']).to.include.members(['company_name=Acme Leaks', 'smtp_password=********', 'pin=********'])
    expect(args['no prepared host']).to.include.members(['company_name=Acme Leaks', 'smtp_password=********', 'pin=********'])
  })

  it('the run that failed at its first step (nothing changed) is not kept', async () => {
    const list = await runCli(['onboard', 'list', '--json'], {env})
    expect(list.json.runs).to.deep.equal([])
  })

  it('no secret, whatever its length, is in any output, the audit trail, the state export or any file odoops wrote', async () => {
    const audit = await runCli(['audit', 'list', '--json'], {env})
    const exported = await runCli(['state', 'export'], {env})
    expect(exported.code, exported.stderr).to.equal(0)
    const texts = [
      ...results.flatMap(({label, result}) => [
        {source: `stdout of ${label}`, text: result.stdout},
        {source: `stderr of ${label}`, text: result.stderr},
      ]),
      {source: 'audit list --json', text: audit.stdout},
      {source: 'state export', text: exported.stdout},
      ...[env.ODOOPS_CONFIG_DIR, env.ODOOPS_DATA_DIR, env.ODOOPS_CACHE_DIR].flatMap(filesUnder),
    ]
    expect(texts.filter((t) => t.source.includes('audit.jsonl')), 'the audit trail was searched').to.not.deep.equal([])
    const hits = texts.flatMap(({source, text}) => secrets.filter((s) => text.includes(s)).map((s) => `${source}: a secret of ${[...s].length} characters`))
    expect(hits).to.deep.equal([])
  })
})

describe('a state URL with a password (--state, --state=, ODOOPS_STATE) works and is hidden everywhere', () => {
  it('long or 1–3 characters: audited runs, audit list, state info and export, errors show no password', async function () {
    this.timeout(180_000)
    for (const password of [newTestSecret('pg'), 'ǂ7']) {
      // The test cluster trusts 127.0.0.1: any password connects, so the URL is used as given.
      const url = (await freshDatabase('leaks_state')).replace('://postgres@', `://postgres:${encodeURIComponent(password)}@`)
      const env = isolatedEnv()
      const outputs: CliResult[] = []
      const run = async (args: string[], extra: Record<string, string> = {}) => {
        const result = await runCli(args, {env: {...env, ...extra}})
        outputs.push(result)
        return result
      }
      expect((await run(['config', 'set', 'partner.name', 'Acme', '--state', url])).code).to.equal(0)
      expect((await run(['config', 'set', 'partner.city', 'Liège', `--state=${url}`])).code).to.equal(0)
      expect((await run(['config', 'unset', 'partner.city'], {ODOOPS_STATE: url})).code).to.equal(0)
      const audit = await run(['audit', 'list', '--json', '--state', url])
      expect(audit.code, audit.stderr).to.equal(0)
      expect((audit.json.events as {args: string[]}[]).map((e) => e.args.join(' '))).to.deep.equal([
        `partner.name Acme --state ${url.replace(encodeURIComponent(password), '********')}`,
        `partner.city Liège --state=${url.replace(encodeURIComponent(password), '********')}`,
        'partner.city',
      ])
      expect((await run(['state', 'info', '--json'], {ODOOPS_STATE: url})).json.location).to.include(':********@')
      expect((await run(['state', 'export'], {ODOOPS_STATE: url})).code).to.equal(0)
      const missing = await run(['tenant', 'show', 'nope', '--json', '--state', url])
      expect(missing.json.error.code).to.equal('TENANT_NOT_FOUND')
      const wrongDb = await run(['audit', 'list', '--json', '--state', url.replace(/\/[^/]+$/, '/no_such_db')])
      expect(wrongDb.code).to.equal(2)
      for (const result of outputs) {
        expect(result.stdout + result.stderr).not.to.contain(encodeURIComponent(password))
        expect(result.stdout + result.stderr).not.to.contain(password)
      }
      expect(filesUnder(env.ODOOPS_CONFIG_DIR).filter((f) => f.text.includes(password))).to.deep.equal([])
    }
  })
})

function filesUnder(root: string): {source: string; text: string}[] {
  if (!existsSync(root)) return []
  return readdirSync(root, {recursive: true, encoding: 'utf8'})
    .map((name) => join(root, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({source: path, text: readFileSync(path, 'utf8')}))
}
