import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {asRoot, command, quote, script, shell, isRemoteCommand, RemoteCommand} from '../../src/lib/ssh/quote.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {hostileStrings} from './hostile-strings.js'

/** Run a command line in a local shell and return stdout bytes. */
function runLocal(shellName: 'sh' | 'bash', line: string): Buffer {
  return execFileSync(shellName, ['-c', line])
}

describe('ssh/quote', () => {
  it('gives 200 hostile strings back byte for byte through sh and bash', () => {
    const strings = hostileStrings()
    expect(strings).to.have.length(200)
    for (const s of strings) {
      for (const sh of ['sh', 'bash'] as const) {
        expect(runLocal(sh, shell`printf '%s' ${s}`.text).toString('utf8'), `${sh}: ${JSON.stringify(s)}`).to.equal(s)
      }
    }
  })

  it('quotes each array item as one word', () => {
    const args = ['a b', '', "it's", '$(id)']
    const out = runLocal('sh', shell`printf '<%s>' ${args}`.text).toString()
    expect(out).to.equal("<a b><><it's><$(id)>")
    expect(runLocal('sh', command(['printf', '<%s>', ...args]).text).toString()).to.equal(out)
  })

  it('refuses NUL with a clear error', () => {
    expect(() => quote('a\0b')).to.throw(OdoopsError).with.property('code', 'SHELL_ARG_NUL')
  })

  it('leaves safe words bare and quotes everything else', () => {
    expect(quote('pg_dump')).to.equal('pg_dump')
    expect(quote('/var/lib/odoo')).to.equal('/var/lib/odoo')
    expect(quote('')).to.equal("''")
    expect(quote("a'b")).to.equal("'a'\\''b'")
    expect(quote('~')).to.equal("'~'")
    expect(quote(5432)).to.equal('5432')
  })

  it('composes commands without re-quoting them', () => {
    const inner = shell`echo ${'a b'}`
    expect(shell`${inner} | tr a-z A-Z`.text).to.equal("echo 'a b' | tr a-z A-Z")
    expect(runLocal('sh', shell`${inner} | tr a-z A-Z`.text).toString()).to.equal('A B\n')
  })

  it('script() runs in strict mode: a failure inside a pipeline fails the script', () => {
    const failing = script(shell`false | cat\necho not-reached`)
    expect(() => runLocal('sh', failing.text)).to.throw()
    const unset = script(shell`echo $UNSET_VARIABLE_XYZ`)
    expect(() => runLocal('sh', unset.text)).to.throw()
    expect(runLocal('sh', script([shell`x=${"it's"}`, shell`printf '%s' "$x"`]).text).toString()).to.equal("it's")
  })

  it('asRoot wraps in sudo -n, keeping the command intact', () => {
    const wrapped = asRoot(shell`printf '%s' ${"a'b $(c)"}`)
    expect(wrapped.text.startsWith('sudo -n -- sh -c ')).to.equal(true)
    // Without sudo, check the inner command survives the second quoting level.
    expect(runLocal('sh', wrapped.text.replace(/^sudo -n -- /, '')).toString()).to.equal("a'b $(c)")
  })

  it('RemoteCommand is the only thing exec accepts (checked by the compiler: npm run lint)', () => {
    expect(isRemoteCommand(shell`true`)).to.equal(true)
    expect(isRemoteCommand('true')).to.equal(false)
    const takesCommand = (cmd: RemoteCommand) => cmd.text
    // Never called: these lines only have to fail to compile (npm run lint fails if one compiles).
    const mustNotCompile = () => {
      // @ts-expect-error a plain string is not a RemoteCommand
      takesCommand('rm -rf /')
      // @ts-expect-error the constructor is private to quote.ts
      takesCommand(new RemoteCommand('x'))
      // @ts-expect-error a template literal is a string, not a command
      takesCommand(`echo ${shell`x`}`) // eslint-disable-line @typescript-eslint/restrict-template-expressions -- what this case is about
    }
    expect(mustNotCompile).to.be.a('function')
    expect(takesCommand(shell`echo ${'a b'}`)).to.equal("echo 'a b'")
  })
})
