/** Shell on a bench sandbox through the OpenSSH client, as a raw baseline would run it. */
import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {sshArgs, sshRun, type SandboxInfo} from '../test/helpers/sandbox.js'

/** Runs a bash script on the host as root; its stdout, or an error with its stderr. */
export async function remote(info: SandboxInfo, script: string, timeoutMs = 1_800_000): Promise<string> {
  // The script travels base64-encoded: no quoting of its content on the ssh command line.
  const result = await sshRun(info, `echo ${Buffer.from(script).toString('base64')} | base64 -d | bash`, {timeoutMs})
  if (result.exitCode !== 0) throw new Error(`remote script failed (exit ${result.exitCode}):\n${script}\n${result.stderr}`)
  return result.stdout
}

/** `ssh host <command>` with stdout to a local file (or stdin from one); resolves with the wall time. */
export function timedSsh(info: SandboxInfo, command: string, io: {stdoutFile?: string; stdinFile?: string}): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = io.stdoutFile ? openSync(io.stdoutFile, 'w') : 'ignore'
    const input = io.stdinFile ? openSync(io.stdinFile, 'r') : 'ignore'
    const started = performance.now()
    const child = spawn('ssh', [...sshArgs(info), command], {stdio: [input, out, 'pipe']})
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (typeof out === 'number') closeSync(out)
      if (typeof input === 'number') closeSync(input)
      if (code === 0) resolve(ms)
      else reject(new Error(`ssh ${command} exited ${code}: ${stderr}`))
    })
  })
}
