import type {SshConnection} from '../../src/lib/ssh/connection.js'

export const GIB = 1024 ** 3

/**
 * A host as `tenant status` (and so `fleet status`) probes it: the shared unit active, 40 GiB
 * free, every database there (30 MB); no nginx (health-failed, 30 points, in every run).
 */
export const scriptedHost = async () =>
  ({
    target: {name: 'web1'},
    isClosed: false,
    async run(cmd: {text: string}) {
      if (cmd.text.includes('systemctl')) return 'LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nMainPID=42\n'
      if (cmd.text.includes('df ')) return `${40 * GIB}\n`
      throw new Error(`unexpected command ${cmd.text}`)
    },
    async exec(cmd: {text: string}) {
      if (cmd.text.includes('psql')) return {code: 0, stdout: Buffer.from('30000000\n'), stderr: Buffer.from('')}
      throw new Error(`unexpected command ${cmd.text}`)
    },
    async forwardLocal() {
      throw new Error('no nginx in this test')
    },
  }) as unknown as SshConnection
