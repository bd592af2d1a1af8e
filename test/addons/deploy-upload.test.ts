import {expect} from 'chai'
import {execa} from 'execa'
import {createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {removeEntriesCommand} from '../../src/lib/addons/deploy/prune.js'
import {uploadReleaseCommand} from '../../src/lib/addons/deploy/upload.js'
import {snapshotDirectory} from '../../src/lib/addons/sources/index.js'
import type {RemoteCommand} from '../../src/lib/ssh/quote.js'
import {ROOT} from '../helpers/cli.js'

const FIXTURES = join(ROOT, 'test', 'fixtures', 'addons')

/** The host's side of a command run here by sh, as sshd would run it (the script is `bash -c '…'`). */
function runHere(cmd: RemoteCommand, stdin?: string | Buffer | NodeJS.ReadableStream) {
  return execa('sh', ['-c', cmd.text], {input: stdin as never, reject: false, ...(stdin === undefined ? {stdin: 'ignore' as const} : {})})
}

async function release(fixture: string): Promise<{sha256: string; tarPath: string}> {
  return snapshotDirectory(join(FIXTURES, fixture), mkdtempSync(join(tmpdir(), 'odoops-releases-')))
}

function tree(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .map((e) => `${join(e.parentPath ?? e.path, e.name).slice(dir.length + 1)} ${(statSync(join(e.parentPath ?? e.path, e.name)).mode & 0o777).toString(8)}`)
    .sort()
}

describe('addons deploy: copying a release to the host', () => {
  it('extracts the streamed tar into <root>/<sha256> with the canonical modes, then says unchanged for the same release', async () => {
    const {sha256, tarPath} = await release('demo-1.0')
    const root = join(mkdtempSync(join(tmpdir(), 'odoops-host-')), 'addons')
    const first = await runHere(uploadReleaseCommand(sha256, root), createReadStream(tarPath))
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(first.stdout.trim()).to.equal('changed')
    const dir = join(root, sha256)
    expect(readFileSync(join(dir, 'odoops_demo', '__manifest__.py'), 'utf8')).to.equal(readFileSync(join(FIXTURES, 'demo-1.0', 'odoops_demo', '__manifest__.py'), 'utf8'))
    expect((statSync(dir).mode & 0o777).toString(8)).to.equal('755')
    expect((statSync(root).mode & 0o777).toString(8)).to.equal('755')
    for (const line of tree(dir)) expect(line, line).to.match(/ (755|644)$/)
    expect(tree(dir)).to.include('odoops_demo/__manifest__.py 644')
    expect(tree(dir)).to.include('odoops_demo 755')
    // Nothing left beside it: the temporary directory and the tar are gone.
    expect(readdirSync(root)).to.deep.equal([sha256])

    const again = await runHere(uploadReleaseCommand(sha256, root), createReadStream(tarPath))
    expect(again.exitCode, again.stderr).to.equal(0)
    expect(again.stdout.trim()).to.equal('unchanged')
    expect(readdirSync(root)).to.deep.equal([sha256])
  })

  it('refuses content whose SHA-256 is not the release\'s and leaves nothing behind', async () => {
    const {sha256} = await release('demo-1.0')
    const other = await release('demo-1.1')
    const root = join(mkdtempSync(join(tmpdir(), 'odoops-host-')), 'addons')
    const result = await runHere(uploadReleaseCommand(sha256, root), createReadStream(other.tarPath))
    expect(result.exitCode).to.not.equal(0)
    expect(result.stderr).to.include('SHA-256 differs')
    expect(readdirSync(root)).to.deep.equal([])
  })

  it('a truncated stream fails the same way (a dropped connection never leaves half a release)', async () => {
    const {sha256, tarPath} = await release('demo-1.0')
    const root = join(mkdtempSync(join(tmpdir(), 'odoops-host-')), 'addons')
    const result = await runHere(uploadReleaseCommand(sha256, root), readFileSync(tarPath).subarray(0, 1024))
    expect(result.exitCode).to.not.equal(0)
    expect(existsSync(join(root, sha256))).to.equal(false)
    expect(readdirSync(root)).to.deep.equal([])
  })

  it('names the release directory from a checked SHA-256 only', () => {
    expect(() => uploadReleaseCommand('../../etc')).to.throw(/SHA-256/)
  })
})

describe('addons deploy: removing entries of the addons root', () => {
  it('removes the release directories and upload leftovers named, nothing else', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-host-'))
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)]
    for (const name of [a, b, '.upload-AbC123']) {
      mkdirSync(join(root, name, 'mod'), {recursive: true})
      writeFileSync(join(root, name, 'mod', '__manifest__.py'), '{}')
    }
    const result = await runHere(removeEntriesCommand([a, '.upload-AbC123'], root))
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(readdirSync(root)).to.deep.equal([b])
  })

  it('refuses any other name', () => {
    for (const name of ['..', '../etc', 'abc', '', '.upload-', `${'a'.repeat(64)}/..`]) expect(() => removeEntriesCommand([name]), name).to.throw(/prune may remove/)
  })
})
