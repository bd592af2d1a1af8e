import {expect} from 'chai'
import {chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {writeFileAtomic, writeFileAtomicSync} from '../../src/lib/fs/atomic-write.js'

const VARIANTS = {
  async: writeFileAtomic,
  sync: async (...args: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...args),
}

describe('atomic file writes', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'odoops-atomic-'))
  })
  afterEach(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  for (const [variant, write] of Object.entries(VARIANTS)) {
    describe(variant, () => {
      it('writes the whole content, returns its size in bytes, and leaves no temporary file', async () => {
        const path = join(dir, 'out.txt')
        expect(await write(path, 'héllo\n')).to.equal(7)
        expect(readFileSync(path, 'utf8')).to.equal('héllo\n')
        expect(await write(path, Buffer.from('again'))).to.equal(5)
        expect(readFileSync(path, 'utf8')).to.equal('again')
        expect(readdirSync(dir)).to.deep.equal(['out.txt'])
      })

      it('gives the file `mode` even over an existing 0644 file, whatever the umask', async () => {
        const path = join(dir, 'credentials')
        writeFileSync(path, 'old', {mode: 0o644})
        chmodSync(path, 0o644)
        await write(path, 'password=secret\n', {mode: 0o600})
        expect(statSync(path).mode & 0o777).to.equal(0o600)
        expect(readFileSync(path, 'utf8')).to.equal('password=secret\n')
        const saved = process.umask(0o077)
        try {
          await write(path, 'shared\n', {mode: 0o644})
        } finally {
          process.umask(saved)
        }
        expect(statSync(path).mode & 0o777).to.equal(0o644)
      })

      it('replaces a symlink at the target instead of writing through it', async () => {
        const victim = join(dir, 'victim')
        writeFileSync(victim, 'untouched')
        const path = join(dir, 'link')
        symlinkSync(victim, path)
        await write(path, 'new', {mode: 0o600})
        expect(lstatSync(path).isSymbolicLink()).to.equal(false)
        expect(readFileSync(path, 'utf8')).to.equal('new')
        expect(readFileSync(victim, 'utf8')).to.equal('untouched')
      })

      it('on failure removes its temporary file and leaves the target as it was', async () => {
        // Renaming a file over a directory fails (EISDIR), after the temporary file was written.
        const blocked = join(dir, 'blocked')
        mkdirSync(blocked)
        writeFileSync(join(blocked, 'inside'), 'old')
        let error: unknown
        await write(blocked, 'content').catch((e: unknown) => (error = e))
        expect(error).to.have.property('code', 'EISDIR')
        expect(readdirSync(dir)).to.deep.equal(['blocked'])
        expect(readFileSync(join(blocked, 'inside'), 'utf8')).to.equal('old')
      })

      it('fails without a trace when the directory is missing', async () => {
        let error: unknown
        await write(join(dir, 'missing', 'file'), 'x').catch((e: unknown) => (error = e))
        expect(error).to.have.property('code', 'ENOENT')
        expect(readdirSync(dir)).to.deep.equal([])
      })
    })
  }
})
