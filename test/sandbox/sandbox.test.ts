import {expect} from 'chai'
import {execa} from 'execa'
import {chmodSync, existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {ensureImage, imagesDirFor, BASE_IMAGE, sandboxDown, sandboxList, type SandboxInfo} from '../../src/lib/sandbox/index.js'
import {isRunning} from '../../src/lib/sandbox/processes.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {isolatedEnv, runCli} from '../helpers/cli.js'
import {dedicatedSandbox, requireSandboxes, sharedSandbox, SANDBOX_BOOT_TIMEOUT_MS, SANDBOX_IMAGE_DIR, sshArgs, sshRun} from '../helpers/sandbox.js'

/** Live (non-zombie) systemd-nspawn processes running one of `machines`. */
function liveNspawns(machines: string[]): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
        return argv[0].endsWith('systemd-nspawn') && machines.some((m) => argv.includes(`--machine=${m}`)) && isRunning(pid)
      } catch {
        return false
      }
    })
}

describe('odoops sandbox @host', function () {
  this.timeout(SANDBOX_BOOT_TIMEOUT_MS)
  let env: Record<string, string>
  let sandboxes: SandboxInfo[] = []
  let upSeconds = 0

  before(async function () {
    requireSandboxes(this)
    env = isolatedEnv({ODOOPS_SANDBOX_IMAGE_DIR: SANDBOX_IMAGE_DIR})
    // Warm the image cache first: the timing below is the warm-cache figure the issue asks for.
    await ensureImage(BASE_IMAGE, {imagesDir: imagesDirFor(env.ODOOPS_CACHE_DIR)})
  })

  after(async function () {
    // Whatever failed above, leave nothing running.
    if (env) await sandboxDown({dataDir: env.ODOOPS_DATA_DIR, all: true})
  })

  it('up --count 2 boots two registered hosts with their own addresses and pinned keys', async () => {
    const started = Date.now()
    const up = await runCli(['sandbox', 'up', '--count', '2', '--json'], {env, timeoutMs: 540_000})
    upSeconds = (Date.now() - started) / 1000
    expect(up.code, up.stderr + up.stdout).to.equal(0)
    sandboxes = up.json.sandboxes
    expect(sandboxes.map((s) => s.name)).to.deep.equal(['sbx-1', 'sbx-2'])
    expect(new Set(sandboxes.map((s) => s.address)).size).to.equal(2)
    for (const sandbox of sandboxes) {
      expect(sandbox.address).to.match(/^10\.77\.\d+\.2$/)
      expect(sandbox.hostKey).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/)
      expect(sandbox.registered).to.equal(true)
    }
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      for (const sandbox of sandboxes) {
        const host = await store.hosts.get(sandbox.name)
        expect(host).to.include({address: sandbox.address, port: 22, user: 'root', identityFile: sandbox.identityFile, hostKey: sandbox.hostKey, sandbox: true})
      }
      const audit = await store.audit.list({command: 'sandbox:up'})
      expect(audit.map((event) => event.outcome)).to.deep.equal(['ok'])
    } finally {
      await store.close()
    }
  })

  it('each answers SSH with exactly the pinned host key, runs systemd, and has its own address', async () => {
    expect(sandboxes).to.have.length(2)
    for (const sandbox of sandboxes) {
      // ssh-keyscan sees the key odoops pinned before first contact.
      const scan = await execa('ssh-keyscan', ['-t', 'ed25519', sandbox.address], {reject: false})
      const scanned = await execa('ssh-keygen', ['-l', '-f', '-'], {input: scan.stdout})
      expect(scanned.stdout.split(' ')[1]).to.equal(sandbox.hostKey)
      // Strict checking against the pinned key: a different key would fail this login.
      const result = await sshRun(sandbox, 'systemctl is-system-running --wait; hostname; ip -4 -o addr show dev host0')
      expect(result.exitCode, result.stderr).to.equal(0)
      const [state, hostname, addr] = result.stdout.split('\n')
      const failed = state === 'running' ? '' : (await sshRun(sandbox, 'systemctl --failed --no-legend; journalctl -b -p warning --no-pager | tail -20')).stdout
      expect(state, `failed units:\n${failed}`).to.equal('running')
      expect(hostname).to.equal(sandbox.name)
      expect(addr).to.include(`inet ${sandbox.address}/24`)
    }
  })

  it('each container runs in a cgroup of its own, so two containers never manage the same unit cgroups', () => {
    // Sharing one `payload/` made one container's systemd remove unit cgroups the other was
    // starting a unit in (a `degraded` boot on CI).
    const systemdCgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((line) => /^\d+:name=systemd:/.test(line) || line.startsWith('0::'))
    const paths = sandboxes.map((sandbox) => systemdCgroupOf(sandbox.pid))
    sandboxes.forEach((sandbox, i) => expect(paths[i]).to.match(new RegExp(`^[^/]*/${sandbox.machine}(/|$)`)))
    expect(new Set(paths).size).to.equal(sandboxes.length)
  })

  it('apt-get update works inside through the package proxy, and sandboxes reach each other', async () => {
    const [a, b] = sandboxes
    const apt = await sshRun(a, 'cat /etc/apt/apt.conf.d/01proxy && apt-get update -q', {timeoutMs: 180_000})
    expect(apt.exitCode, apt.stdout + apt.stderr).to.equal(0)
    expect(apt.stdout).to.include(`http://${a.hostAddress}:`)
    // Without the proxy the private network has no way out: the archive is unreachable.
    const direct = await sshRun(a, 'timeout 8 apt-get -o Acquire::http::Proxy=false -o Acquire::Retries=0 -o Acquire::http::Timeout=3 update -q; echo "exit=$?"', {timeoutMs: 60_000})
    expect(direct.stdout).to.match(/exit=[1-9]/)
    // A jump host needs A to reach B.
    const reach = await sshRun(a, `timeout 5 bash -c 'exec 3<>/dev/tcp/${b.address}/22; head -c 4 <&3'`)
    expect(reach.stdout).to.equal('SSH-')
  })

  it('list shows both running', async () => {
    const list = await runCli(['sandbox', 'list', '--json'], {env})
    expect(list.code, list.stderr).to.equal(0)
    expect(list.json.sandboxes.map((s: {name: string; running: boolean}) => [s.name, s.running])).to.deep.equal([
      ['sbx-1', true],
      ['sbx-2', true],
    ])
  })

  it('down --all leaves no process, veth, mount, registry entry or host record behind', async () => {
    const machines = sandboxes.map((s) => s.machine)
    const proxyPid = JSON.parse(readFileSync(join(env.ODOOPS_DATA_DIR, 'sandboxes/proxy/proxy.json'), 'utf8')).pid as number
    const started = Date.now()
    const down = await runCli(['sandbox', 'down', '--all', '--json'], {env})
    const downSeconds = (Date.now() - started) / 1000
    expect(down.code, down.stderr).to.equal(0)
    expect(down.json.removed.map((r: {name: string; stop: string; unregistered: boolean}) => [r.name, r.stop, r.unregistered])).to.deep.equal([
      ['sbx-1', 'stopped', true],
      ['sbx-2', 'stopped', true],
    ])
    expect(down.json.proxyStopped).to.equal(true)
    expect(liveNspawns(machines)).to.deep.equal([])
    for (const machine of machines) expect(existsSync(`/sys/fs/cgroup/systemd/${machine}`), `cgroup of ${machine}`).to.equal(false)
    expect(isRunning(proxyPid)).to.equal(false)
    const {stdout: links} = await execa('ip', ['-o', 'link', 'show'])
    for (const machine of machines) expect(links).to.not.include(`ve-${machine}`)
    const mounts = readFileSync('/proc/mounts', 'utf8')
    expect(mounts).to.not.include(env.ODOOPS_DATA_DIR)
    expect(readdirSync(join(env.ODOOPS_DATA_DIR, 'sandboxes')).filter((f) => f !== 'registry.lock')).to.deep.equal([])
    const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
    try {
      expect(await store.hosts.list()).to.deep.equal([])
    } finally {
      await store.close()
    }
    console.log(`      timing (warm image cache): sandbox up --count 2 ${upSeconds.toFixed(1)} s, sandbox down --all ${downSeconds.toFixed(1)} s, total ${(upSeconds + downSeconds).toFixed(1)} s`)
    expect(upSeconds + downSeconds).to.be.below(120)
  })

  it('a dedicated sandbox can get a new host key, and strict SSH then refuses it', async () => {
    const own = await dedicatedSandbox()
    try {
      const before = await sshRun(own, 'true')
      expect(before.exitCode, before.stderr).to.equal(0)
      const pinned = sshArgs(own) // known_hosts with the old key
      const newKey = await own.regenerateHostKey()
      expect(newKey).to.not.equal(own.hostKey)
      const after = await execa('ssh', [...pinned, 'true'], {reject: false, stdin: 'ignore'})
      expect(after.exitCode).to.not.equal(0)
      expect(after.stderr).to.match(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
    } finally {
      await own.down()
    }
  })

  it('a sandbox whose nspawn was killed is cleaned up by list: no orphan container, no ephemeral copy', async () => {
    const dataDir = env.ODOOPS_DATA_DIR
    const up = await runCli(['sandbox', 'up', '--name', 'victim', '--no-register', '--json'], {env})
    expect(up.code, up.stderr + up.stdout).to.equal(0)
    const victim = up.json.sandboxes[0] as SandboxInfo
    const record = JSON.parse(readFileSync(join(dataDir, 'sandboxes/victim.json'), 'utf8'))
    expect(record.initPid).to.be.a('number')
    expect(existsSync(record.ephemeralDir)).to.equal(true)
    process.kill(victim.pid, 'SIGKILL')
    // SIGKILL is delivered asynchronously: list only once the process is really gone.
    for (let i = 0; i < 50 && isRunning(victim.pid); i++) await new Promise((r) => setTimeout(r, 100))
    const listed = await sandboxList({dataDir})
    expect(listed.cleaned).to.deep.equal(['victim'])
    expect(isRunning(record.initPid)).to.equal(false)
    expect(existsSync(record.ephemeralDir)).to.equal(false)
    const {stdout: links} = await execa('ip', ['-o', 'link', 'show'])
    expect(links).to.not.include(`ve-${victim.machine}`)
  })

  it('--fixture-odoo mounts a local apt repository holding the stand-in odoo package', async () => {
    const up = await runCli(['sandbox', 'up', '--name', 'fixture', '--fixture-odoo', '--no-register'], {env})
    expect(up.code, up.stderr + up.stdout).to.equal(0)
    expect(up.stdout).to.match(/FIXTURE Odoo: a small stand-in/)
    const list = await sandboxList({dataDir: env.ODOOPS_DATA_DIR})
    const sandbox = list.sandboxes.find((s) => s.name === 'fixture')!
    expect(sandbox.fixtureAptSource).to.equal('deb [trusted=yes] file:/srv/odoops-fixture-apt ./')
    try {
      // Only the fixture source: no archive access needed to see the package.
      const result = await sshRun(
        sandbox,
        `echo '${sandbox.fixtureAptSource}' > /tmp/fixture.list; only='-o Dir::Etc::sourcelist=/tmp/fixture.list -o Dir::Etc::sourceparts=-'; apt-get -q $only update >/dev/null && apt-cache $only show odoo | grep -E '^(Package|Version):'`,
      )
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stdout).to.match(/^Package: odoo$/m)
      expect(result.stdout).to.match(/^Version: 17\.0\./m)
    } finally {
      await sandboxDown({dataDir: env.ODOOPS_DATA_DIR, names: ['fixture']})
    }
  })

  it('boots from the cached postgres-nginx image with PostgreSQL and nginx running (shared helper)', async () => {
    const pg = await sharedSandbox('pg', {image: 'postgres-nginx'})
    expect(pg.image).to.equal('bookworm-postgres-nginx')
    const result = await sshRun(pg, 'systemctl is-system-running --wait; systemctl is-active postgresql@15-main nginx; su postgres -c "psql -Atc \\"select 1\\""')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout.split('\n')).to.deep.equal(['running', 'active', 'active', '1'])
    expect(await sharedSandbox('pg', {image: 'postgres-nginx'})).to.equal(pg)
  })

  it('refuses to run without root, naming the fix', async function () {
    const unprivileged = await execa('id', ['-u', 'nobody'], {reject: false})
    if (unprivileged.exitCode !== 0) this.skip()
    const dirs = isolatedEnv()
    // Directories the unprivileged user may write.
    const base = join(dirs.ODOOPS_DATA_DIR, '..')
    chmodSync(base, 0o777)
    const result = await execa('runuser', ['-u', 'nobody', '--', 'node', join(process.cwd(), 'bin/run.js'), 'sandbox', 'up', '--no-register', '--json'], {
      reject: false,
      env: {...dirs, HOME: base, NO_COLOR: '1'},
    })
    expect(result.exitCode).to.equal(1)
    const error = JSON.parse(result.stdout).error
    expect(error.code).to.equal('SANDBOX_UNSUPPORTED')
    expect(error.suggestions.join(' ')).to.include('root')
  })
})
