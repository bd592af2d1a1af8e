import {expect} from 'chai'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {exportInvoices} from '../../../src/lib/billing/export/index.js'
import {hasFileExtension, resolveOutput} from '../../../src/lib/billing/export/output.js'
import {failure, thrownBy} from '../../helpers/failure.js'
import {creditNote, standardInvoice, storeOf} from './invoices.js'

/** `invoice export --output`: a file or a directory (issue 17 item 4, issue 20). */
describe('billing export: --output names a file or a directory', function () {
  this.timeout(120_000)
  let dir: string
  let cwd: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'odoops-output-'))
    cwd = process.cwd()
  })
  afterEach(() => {
    process.chdir(cwd)
    rmSync(dir, {recursive: true, force: true})
  })

  describe('resolveOutput', () => {
    it('a new path is a file for one document and a directory for several; a trailing / is always a directory', () => {
      expect(resolveOutput(join(dir, 'inv.xml'), 1)).to.deep.equal({kind: 'file', file: join(dir, 'inv.xml'), dir})
      expect(resolveOutput(join(dir, 'march'), 1)).to.deep.equal({kind: 'file', file: join(dir, 'march'), dir})
      expect(resolveOutput(join(dir, 'peppol'), 3)).to.deep.equal({kind: 'directory', dir: join(dir, 'peppol')})
      expect(resolveOutput(`${join(dir, 'exports')}/`, 1)).to.deep.equal({kind: 'directory', dir: join(dir, 'exports')})
      expect(resolveOutput(join(dir, '2026.03'), 2)).to.deep.equal({kind: 'directory', dir: join(dir, '2026.03')})
    })

    it('an existing directory is a directory, whatever its name or the document count', () => {
      mkdirSync(join(dir, 'out.xml'))
      expect(resolveOutput(join(dir, 'out.xml'), 1)).to.deep.equal({kind: 'directory', dir: join(dir, 'out.xml')})
      expect(resolveOutput(dir, 5)).to.deep.equal({kind: 'directory', dir})
    })

    it("refuses '' (OUTPUT_PATH_INVALID, exit 2) instead of writing into the current directory", () => {
      const error = thrownBy(() => resolveOutput('', 1))
      expect([error.code, error.exit]).to.deep.equal(['OUTPUT_PATH_INVALID', 2])
      expect(error.message).to.contain('--output is empty')
    })

    it('never replaces an existing file, for one document or several: OUTPUT_PATH_INVALID naming it as a file', () => {
      const file = join(dir, 'passwd')
      writeFileSync(file, 'root:x:0:0\n')
      const one = thrownBy(() => resolveOutput(file, 1))
      expect([one.code, one.exit]).to.deep.equal(['OUTPUT_PATH_INVALID', 2])
      expect(one.message).to.contain(`${file} is an existing file: an export never replaces a file`)
      const several = thrownBy(() => resolveOutput(file, 2))
      expect([several.code, several.exit]).to.deep.equal(['OUTPUT_PATH_INVALID', 2])
      expect(several.message).to.contain(`${file} is a file, but this export writes 2 documents`)
      expect(thrownBy(() => resolveOutput(join(file, 'sub'), 1)).code).to.equal('OUTPUT_PATH_INVALID')
      expect(readFileSync(file, 'utf8')).to.equal('root:x:0:0\n')
    })

    it('refuses a path that cannot be created (under /proc) without trying to create it', () => {
      const error = thrownBy(() => resolveOutput('/proc/nope/out.csv', 1))
      expect(error.code).to.equal('OUTPUT_PATH_INVALID')
      expect(error.message).to.contain('/proc')
    })

    it('refuses a file name for several documents rather than making a directory named inv.xml', () => {
      const error = thrownBy(() => resolveOutput(join(dir, 'inv.xml'), 2))
      expect([error.code, error.exit]).to.deep.equal(['OUTPUT_PATH_INVALID', 2])
      expect(error.message).to.contain('looks like a file name (.xml)')
    })

    it('file extensions: letters and digits with a letter', () => {
      expect(['a.xml', 'a.csv', 'x/y.json', 'b.v2'].map(hasFileExtension)).to.deep.equal([true, true, true, true])
      expect(['exports', '2026.03', 'dir/', '.hidden'].map(hasFileExtension)).to.deep.equal([false, false, false, false])
    })
  })

  describe('exportInvoices with output', () => {
    it('writes one UBL document to inv.xml as a file, not into a directory named inv.xml', async () => {
      const result = await exportInvoices(storeOf([standardInvoice()]), {number: 'INV-2026-00001'}, {format: 'ubl', output: join(dir, 'inv.xml')})
      expect(statSync(join(dir, 'inv.xml')).isFile()).to.equal(true)
      expect(readFileSync(join(dir, 'inv.xml'), 'utf8')).to.contain('<cbc:ID>INV-2026-00001</cbc:ID>')
      expect(result).to.deep.include({target: 'file', outputDir: dir})
      expect(result.files.map((f) => f.path)).to.deep.equal([join(dir, 'inv.xml')])
      expect(readdirSync(dir)).to.deep.equal(['inv.xml'])
    })

    it('writes a CSV to a new file name, creating its directory; several UBL documents go into a directory', async () => {
      const csv = await exportInvoices(storeOf([standardInvoice()]), {period: '2026-03'}, {format: 'csv', output: join(dir, 'reports', 'march.csv')})
      expect(csv.files.map((f) => f.path)).to.deep.equal([join(dir, 'reports', 'march.csv')])
      expect(readFileSync(join(dir, 'reports', 'march.csv'), 'utf8')).to.match(/^invoice_number,/)
      const ubl = await exportInvoices(storeOf([standardInvoice(), creditNote({period: '2026-03'})]), {period: '2026-03'}, {format: 'ubl', output: join(dir, 'peppol')})
      expect(ubl.target).to.equal('directory')
      expect(readdirSync(join(dir, 'peppol')).sort()).to.deep.equal(['CN-2026-00001.xml', 'INV-2026-00001.xml'])
    })

    it("refuses '', an existing file and a file name for several documents before validating or writing anything", async () => {
      process.chdir(dir)
      const empty = await failure(exportInvoices(storeOf([standardInvoice()]), {period: '2026-03'}, {format: 'json', output: ''}))
      expect(empty.code).to.equal('OUTPUT_PATH_INVALID')
      expect(readdirSync(dir)).to.deep.equal([])

      writeFileSync(join(dir, 'existing.json'), 'keep me')
      const existing = await failure(exportInvoices(storeOf([standardInvoice()]), {period: '2026-03'}, {format: 'json', output: join(dir, 'existing.json')}))
      expect(existing.code).to.equal('OUTPUT_PATH_INVALID')
      expect(readFileSync(join(dir, 'existing.json'), 'utf8')).to.equal('keep me')

      const started = Date.now()
      const several = await failure(exportInvoices(storeOf([standardInvoice(), creditNote({period: '2026-03'})]), {period: '2026-03'}, {format: 'ubl', output: join(dir, 'existing.json')}))
      expect(several.code).to.equal('OUTPUT_PATH_INVALID')
      expect(several.message).to.contain('is an existing file')
      expect(Date.now() - started, 'refused before the UBL validation').to.be.below(1000)
      expect(readdirSync(dir)).to.deep.equal(['existing.json'])
    })

    it('checks the path before reading the invoices: a bad path wins over an empty selection', async () => {
      for (const format of ['csv', 'ubl'] as const) {
        const error = await failure(exportInvoices(storeOf([]), {period: '2026-03'}, {format, output: '/proc/nope/out'}))
        expect(error.code, format).to.equal('OUTPUT_PATH_INVALID')
      }
      expect((await failure(exportInvoices(storeOf([]), {period: '2026-03'}, {format: 'csv', output: join(dir, 'out.csv')}))).code).to.equal('INVOICE_NONE_SELECTED')
    })
  })
})
