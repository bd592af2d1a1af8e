import {chmodSync, lstatSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {expect} from 'chai'
import {readCredentialsFile, writeCredentialsFile} from '../../src/lib/credentials/file.js'

describe('credentials files', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'odoops-creds-'))
  const creds = {url: 'https://acme.example', database: 'acme', logins: [{login: 'admin', password: 'S3cret: "quoted" #1'}]}

  it('round-trips url, database and every login, whatever the password contains', async () => {
    const file = join(dir(), 'acme.yaml')
    await writeCredentialsFile(file, {...creds, logins: [...creds.logins, {login: 'ann@acme.example', password: "it's\nmultiline"}]}, 'odoops: test.')
    expect(await readCredentialsFile(file)).to.deep.equal({...creds, logins: [...creds.logins, {login: 'ann@acme.example', password: "it's\nmultiline"}]})
    expect(readFileSync(file, 'utf8')).to.match(/^# odoops: test\. Store them safely/)
  })

  it('an existing world-readable file ends up 0600 with only the new content', async () => {
    const file = join(dir(), 'acme.yaml')
    writeFileSync(file, 'old content, readable by everyone\n')
    chmodSync(file, 0o644)
    await writeCredentialsFile(file, creds, 'odoops: test.')
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    expect(readFileSync(file, 'utf8')).to.not.include('old content')
  })

  it('a symlink at the path is replaced, never followed: its target is left as it was', async () => {
    const d = dir()
    const target = join(d, 'elsewhere.txt')
    writeFileSync(target, 'not yours\n')
    const file = join(d, 'acme.yaml')
    symlinkSync(target, file)
    await writeCredentialsFile(file, creds, 'odoops: test.')
    expect(readFileSync(target, 'utf8')).to.equal('not yours\n')
    expect(lstatSync(file).isSymbolicLink()).to.equal(false)
    expect(statSync(file).mode & 0o777).to.equal(0o600)
  })

  it('a path in a missing directory is refused with its own code, naming the fix', async () => {
    const error = await writeCredentialsFile(join(dir(), 'nope', 'acme.yaml'), creds, 'x').then(() => undefined, (e: unknown) => e)
    expect(error).to.have.property('code', 'CREDENTIALS_FILE_UNWRITABLE')
  })
})
