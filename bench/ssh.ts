/**
 * bench/ssh: 200 small commands on one host through odoops' SSH layer (one pooled
 * connection, channels multiplexed) against 200 `ssh host cmd` invocations of the OpenSSH
 * client (a new connection each, as a shell loop does), in the same run.
 *
 *   node --import tsx bench/ssh.ts            # a sandbox when possible, else a local sshd
 *   ODOOPS_BENCH_HOST=local node --import tsx bench/ssh.ts
 *
 * Prints both times and the ratio (target: at least 10x).
 */
import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {SshPool} from '../src/lib/ssh/pool.js'
import {shell} from '../src/lib/ssh/quote.js'
import type {SshTarget} from '../src/lib/ssh/target.js'
import {sharedLocalSshd} from '../test/helpers/local-sshd.js'

const COUNT = Number(process.env.ODOOPS_BENCH_COUNT ?? 200)

interface BenchHost {
  kind: string
  target: SshTarget
  sshArgs: string[]
  done(): Promise<void>
}

async function benchHost(): Promise<BenchHost> {
  if (process.env.ODOOPS_BENCH_HOST !== 'local') {
    const sandbox = await import('../test/helpers/sandbox.js')
    if (sandbox.sandboxesAvailable().ok) {
      const info = await sandbox.sharedSandbox('bench')
      return {
        kind: `sandbox ${info.name} (${info.address})`,
        target: {name: info.name, address: info.address, port: info.port, user: info.user, identityFile: info.identityFile, hostKey: info.hostKey},
        sshArgs: sandbox.sshArgs(info),
        done: () => sandbox.downAllSandboxes(),
      }
    }
    process.stderr.write(`No sandbox here (${sandbox.sandboxesAvailable().reason}); using a local sshd.\n`)
  }
  const sshd = await sharedLocalSshd()
  const knownHosts = join(sshd.dir, 'known_hosts')
  writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${readFileSync(join(sshd.dir, 'ssh_host_ed25519_key.pub'), 'utf8')}`)
  return {
    kind: `local sshd 127.0.0.1:${sshd.port}`,
    target: sshd.target(),
    sshArgs: ['-i', sshd.identityFile, '-p', String(sshd.port), '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', 'root@127.0.0.1'],
    done: async () => sshd.stop(),
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2) + ' s'
}

async function main(): Promise<void> {
  const host = await benchHost()
  process.stdout.write(`Host: ${host.kind}; ${COUNT} commands each (echo <n>).\n`)

  // OpenSSH client: one process and one connection per command.
  const sshStart = performance.now()
  for (let i = 0; i < COUNT; i++) {
    const result = spawnSync('ssh', [...host.sshArgs, `echo ${i}`], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
    if (result.status !== 0 || result.stdout.trim() !== String(i)) throw new Error(`ssh run ${i} failed: ${result.stderr}`)
  }
  const sshMs = performance.now() - sshStart

  // odoops: connect once (counted), then the commands concurrently over the pooled connection.
  const pool = new SshPool({agentSocket: null})
  const oursStart = performance.now()
  const conn = await pool.connect(host.target)
  const results = await Promise.all(Array.from({length: COUNT}, (_, i) => conn.run(shell`echo ${i}`)))
  const oursMs = performance.now() - oursStart
  results.forEach((out, i) => {
    if (out.trim() !== String(i)) throw new Error(`odoops run ${i} returned ${out}`)
  })
  // And one after the other, for the latency of a single command on an open connection.
  const seqStart = performance.now()
  for (let i = 0; i < COUNT; i++) await conn.run(shell`echo ${i}`)
  const seqMs = performance.now() - seqStart
  await pool.closeAll()

  process.stdout.write(
    [
      `ssh host cmd (x${COUNT}, sequential):          ${seconds(sshMs)}  (${(sshMs / COUNT).toFixed(1)} ms per command)`,
      `odoops layer (x${COUNT}, concurrent, 1 conn):  ${seconds(oursMs)}  (${conn.stats.peakActive} channels at most)`,
      `odoops layer (x${COUNT}, sequential, 1 conn):  ${seconds(seqMs)}  (${(seqMs / COUNT).toFixed(1)} ms per command)`,
      `ratio ssh / odoops concurrent: ${(sshMs / oursMs).toFixed(1)}x (target >= 10x)`,
      `ratio ssh / odoops sequential: ${(sshMs / seqMs).toFixed(1)}x`,
      '',
    ].join('\n'),
  )
  await host.done()
}

execFileSync('ssh', ['-V'], {stdio: 'ignore'})
await main()
