import {expect} from 'chai'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {testHost, TEST_HOST_TIMEOUT_MS, type TestHost} from '../ssh/test-host.js'

/** The host commands end to end: the built CLI (npm run build first), --json, exit codes, audit. */
describe('odoops host (CLI) @host', function () {
  let host: TestHost
  let env: Record<string, string>

  before(async function () {
    this.timeout(TEST_HOST_TIMEOUT_MS)
    host = await testHost(this)
    env = isolatedEnv({SSH_AUTH_SOCK: ''})
  })

  const add = (...extra: string[]) => runCli(['host', 'add', 'web1', '--address', host.address, '--port', String(host.port), '--identity', host.identityFile, '--json', ...extra], {env})

  it('refuses a bad name with exit 2 and an unknown key with exit 1, recording nothing', async () => {
    const bad = await runCli(['host', 'add', 'Bad_Name', '--address', host.address, '--json'], {env})
    expect(bad.code).to.equal(2)
    expect(bad.json.error.code).to.equal('HOST_NAME_INVALID')
    const unknown = await add()
    expect(unknown.code, unknown.stderr).to.equal(1)
    expect(unknown.json.error.code).to.equal('SSH_HOST_KEY_UNKNOWN')
    expect(unknown.json.error.suggestions.join('\n')).to.include(host.hostKey)
    expect((await runCli(['host', 'list', '--json'], {env})).json.hosts).to.deep.equal([])
  })

  it('adds with --host-key, lists and shows the host', async () => {
    const added = await add('--host-key', host.hostKey)
    expect(added.code, added.stderr).to.equal(0)
    expect(added.json.host).to.include({id: 'web1', hostKey: host.hostKey, port: host.port})
    const list = await runCli(['host', 'list', '--json'], {env})
    expect(list.json.hosts.map((h: {id: string}) => h.id)).to.deep.equal(['web1'])
    const show = await runCli(['host', 'show', 'web1', '--json'], {env})
    expect(show.json).to.include({id: 'web1', address: host.address})
  })

  it('exec passes the argv through intact and propagates a non-zero exit', async () => {
    const ok = await runCli(['host', 'exec', 'web1', '--json', '--', 'printf', '%s|', "it's", '$(id)', 'a b', '--flag'], {env})
    expect(ok.code, ok.stderr).to.equal(0)
    expect(ok.json).to.include({code: 0, stdout: "it's|$(id)|a b|--flag|"})
    const human = await runCli(['host', 'exec', 'web1', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], {env})
    expect(human.code).to.equal(1)
    expect(human.stdout).to.equal('out')
    expect(human.stderr).to.include('err').and.include('exited with 3')
    const json = await runCli(['host', 'exec', 'web1', '--json', '--', 'sh', '-c', 'exit 3'], {env})
    expect(json.code).to.equal(1)
    expect(json.json.code).to.equal(3)
  })

  it('exec streams a piped stdin to the remote command, and keeps it closed with --no-stdin', async () => {
    const data = 'line one\nit\'s "quoted" $(id)\n' + 'x'.repeat(300_000) + '\n'
    const copy = `/tmp/odoops-stdin-${process.pid}.txt`
    const sent = await runCli(['host', 'exec', 'web1', '--', 'sh', '-c', `cat > ${copy}`], {env, input: data})
    expect(sent.code, sent.stderr).to.equal(0)
    const back = await runCli(['host', 'exec', 'web1', '--json', '--', 'sh', '-c', `wc -c < ${copy}; head -2 ${copy}; rm -f ${copy}`], {env})
    expect(back.json.stdout).to.equal(`${Buffer.byteLength(data)}\nline one\nit's "quoted" $(id)\n`)
    const closed = await runCli(['host', 'exec', 'web1', '--no-stdin', '--json', '--', 'sh', '-c', 'cat | wc -c'], {env, input: 'not sent'})
    expect(closed.json.stdout.trim()).to.equal('0')
    // No stdin at all (cron, systemd): the remote command sees EOF and odoops does not wait.
    const none = await runCli(['host', 'exec', 'web1', '--json', '--', 'sh', '-c', 'cat | wc -c'], {env})
    expect(none.json.stdout.trim()).to.equal('0')
  })

  it('check reports facts in JSON and exits 1 only when the host cannot run Odoo', async () => {
    const check = await runCli(['host', 'check', 'web1', '--json'], {env})
    expect(check.json.facts.cpus).to.be.greaterThan(0)
    expect(check.code).to.equal(check.json.ok ? 0 : 1)
    if (host.kind === 'sandbox') expect(check.json.ok, JSON.stringify(check.json.problems)).to.equal(true)
  })

  it('trust keeps an unchanged key; remove needs --confirm; add, exec and remove are audited', async () => {
    const trust = await runCli(['host', 'trust', 'web1', '--json'], {env})
    expect(trust.code, trust.stderr).to.equal(0)
    expect(trust.json.changed).to.equal(false)
    const noConfirm = await runCli(['host', 'remove', 'web1', '--json'], {env})
    expect(noConfirm.code).to.equal(2)
    expect(noConfirm.json.error.code).to.equal('CONFIRM_REQUIRED')
    const removed = await runCli(['host', 'remove', 'web1', '--confirm', 'web1', '--json'], {env})
    expect(removed.code, removed.stderr).to.equal(0)
    const audit = await runCli(['audit', 'list', '--json'], {env})
    const events = (audit.json.events ?? audit.json) as {command: string; host?: string}[]
    const commands = events.filter((e) => e.host === 'web1').map((e) => e.command)
    expect(commands).to.include.members(['host:add', 'host:exec', 'host:remove'])
  })
})
