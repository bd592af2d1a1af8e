import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {execOnHost, type HostExecResult} from '../../lib/hosts/index.js'
import {ExitCode} from '../../lib/errors.js'
import {closeAllSsh} from '../../lib/ssh/index.js'

export default class HostExec extends OdoopsCommand<HostExecResult> {
  static override usesSsh = true
  static override summary = 'run a command on a host (audited)'
  static override description = `Everything after -- is the command, each argument passed as one word exactly as given (no remote shell parsing: use sh -c '…' for pipes). When odoops' stdin is not a terminal (a file or a pipe), it is streamed to the remote command, as ssh does: odoops host exec web1 -- sh -c 'cat > copy.txt' < file.txt. --no-stdin keeps it closed (like ssh -n, e.g. inside a while-read loop). A non-zero remote exit makes odoops exit 1; the remote code is in the JSON result.`
  static override audited = true
  static override strict = false
  static override args = {name: Args.string({description: 'host name', required: true})}
  static override flags = {
    root: Flags.boolean({description: 'run as root (sudo -n when the login user is not root)'}),
    timeout: Flags.integer({description: 'seconds before the command is stopped (default: ssh.commandTimeout)', min: 1}),
    stdin: Flags.boolean({allowNo: true, description: 'stream stdin to the remote command (default: when stdin is not a terminal; --no-stdin: closed, like ssh -n)'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web1 -- uptime',
    `<%= config.bin %> <%= command.id %> web1 --root -- systemctl restart nginx`,
    `<%= config.bin %> <%= command.id %> web1 -- sh -c 'df -h | grep /var'`,
    `<%= config.bin %> <%= command.id %> web1 -- sh -c 'cat > /tmp/prices.csv' < prices.csv`,
  ]

  async run(): Promise<HostExecResult> {
    const {args, argv, flags} = await this.parse(HostExec)
    const command = (argv as string[]).slice(1)
    this.auditContext = {host: args.name, details: {argv: command, root: flags.root}}
    let result: HostExecResult
    const forwardStdin = flags.stdin ?? !process.stdin.isTTY
    try {
      result = await execOnHost(await this.state(), args.name, command, {root: flags.root, timeoutMs: flags.timeout ? flags.timeout * 1000 : undefined, stdin: forwardStdin ? process.stdin : undefined})
    } finally {
      // A stdin left open (a pipe whose writer goes on) would keep odoops running after the remote command ended.
      if (forwardStdin) process.stdin.destroy()
      await closeAllSsh()
    }
    this.auditContext.details = {...this.auditContext.details, code: result.code, signal: result.signal}
    this.ui.passthrough(result.stdout, result.stderr)
    if (result.code !== 0) this.ui.note(`Remote command ${result.signal ? `killed by ${result.signal}` : `exited with ${result.code}`}.`)
    if (result.code !== 0) process.exitCode = ExitCode.FAILURE
    return result
  }
}
