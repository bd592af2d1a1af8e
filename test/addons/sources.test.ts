import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {finished} from 'node:stream/promises'
import {gzipSync} from 'node:zlib'
import {execa} from 'execa'
import {extract as tarExtract, pack as tarPack, type Header} from 'tar-stream'
import yazl from 'yazl'
import {OdoopsError} from '../../src/lib/errors.js'
import {
  listModules,
  pinGit,
  pinSource,
  readManifests,
  readReleaseEntries,
  readReleaseFile,
  redactGitUrls,
  snapshotArchive,
  snapshotDirectory,
} from '../../src/lib/addons/sources/index.js'
import {REDACTED, redact} from '../../src/lib/secrets/redact.js'

/** A file to write: text (mode 0644), or text with a mode. */
type Spec = string | {content: string; mode: number}

const SALE_MANIFEST = "{'name': 'Sale Extra', 'version': '17.0.1.0.0', 'depends': ['sale']}\n"
const THEME_MANIFEST = "{'name': 'Web Theme', 'version': '17.0.2.0.0'}\n"

/** The tree every source of these tests carries: two modules, an executable, a file at the top. */
const TREE: Record<string, Spec> = {
  'README.md': '# addons\n',
  'sale_extra/__manifest__.py': SALE_MANIFEST,
  'sale_extra/__init__.py': 'from . import models\n',
  'sale_extra/models/__init__.py': '',
  'sale_extra/tools/run.sh': {content: '#!/bin/sh\necho hi\n', mode: 0o755},
  'web_theme/__manifest__.py': THEME_MANIFEST,
  'web_theme/static/src/app.js': 'console.log(1)\n',
}

/** The entries of TREE's release, in release order (bytewise by path). */
const TREE_ENTRIES = [
  {path: 'README.md', kind: 'file', executable: false, size: 9},
  {path: 'sale_extra', kind: 'dir', executable: false, size: 0},
  {path: 'sale_extra/__init__.py', kind: 'file', executable: false, size: 21},
  {path: 'sale_extra/__manifest__.py', kind: 'file', executable: false, size: SALE_MANIFEST.length},
  {path: 'sale_extra/models', kind: 'dir', executable: false, size: 0},
  {path: 'sale_extra/models/__init__.py', kind: 'file', executable: false, size: 0},
  {path: 'sale_extra/tools', kind: 'dir', executable: false, size: 0},
  {path: 'sale_extra/tools/run.sh', kind: 'file', executable: true, size: 18},
  {path: 'web_theme', kind: 'dir', executable: false, size: 0},
  {path: 'web_theme/__manifest__.py', kind: 'file', executable: false, size: THEME_MANIFEST.length},
  {path: 'web_theme/static', kind: 'dir', executable: false, size: 0},
  {path: 'web_theme/static/src', kind: 'dir', executable: false, size: 0},
  {path: 'web_theme/static/src/app.js', kind: 'file', executable: false, size: 15},
]

function writeTree(dir: string, tree: Record<string, Spec>): void {
  for (const [path, spec] of Object.entries(tree)) {
    const file = join(dir, path)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, typeof spec === 'string' ? spec : spec.content)
    chmodSync(file, typeof spec === 'string' ? 0o644 : spec.mode)
  }
}

interface TarSpec {
  name: string
  type?: Header['type']
  content?: string
  mode?: number
  linkname?: string
}

/** The entries of a tree as an archive would list them: folders first, then files. */
function tarSpecs(tree: Record<string, Spec>, prefix = ''): TarSpec[] {
  const dirs = new Set<string>()
  for (const path of Object.keys(tree)) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
  }
  return [
    ...[...dirs].map((dir): TarSpec => ({name: `${prefix}${dir}/`, type: 'directory', mode: 0o775})),
    ...Object.entries(tree).map(([path, spec]): TarSpec => ({
      name: prefix + path,
      content: typeof spec === 'string' ? spec : spec.content,
      mode: typeof spec === 'string' ? 0o664 : spec.mode,
    })),
  ]
}

/** A tar (gzipped unless `gzip` is false) made with tar-stream, mtimes and owners of a real machine. */
async function makeTar(path: string, specs: TarSpec[], gzip = true): Promise<void> {
  const tar = tarPack()
  const chunks: Buffer[] = []
  tar.on('data', (chunk) => {
    chunks.push(chunk as Buffer)
  })
  const ended = new Promise<void>((resolve) => tar.on('end', () => resolve()))
  for (const spec of specs) {
    await new Promise<void>((resolve, reject) => {
      const header = {name: spec.name, type: spec.type ?? 'file', mode: spec.mode ?? 0o644, mtime: new Date(1_700_000_000_000), uid: 1000, gid: 1000, uname: 'dev', gname: 'dev', linkname: spec.linkname}
      const done = (error?: Error | null) => (error ? reject(error) : resolve())
      if (header.type === 'file') tar.entry(header, spec.content ?? '', done)
      else tar.entry(header, done)
    })
  }
  tar.finalize()
  await ended
  const bytes = Buffer.concat(chunks)
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes)
}

/** A zip made with yazl; `mode` as yazl takes it (0o120777 makes a symbolic link). */
async function makeZip(path: string, specs: TarSpec[]): Promise<void> {
  const zip = new yazl.ZipFile()
  for (const spec of specs) {
    if (spec.type === 'directory') zip.addEmptyDirectory(spec.name.replace(/\/$/, ''))
    else zip.addBuffer(Buffer.from(spec.content ?? ''), spec.name, {mode: spec.mode ?? 0o100644, mtime: new Date(1_700_000_000_000)})
  }
  zip.end()
  await finished(zip.outputStream.pipe(createWriteStream(path)))
}

/** The OdoopsError a promise rejects with (any other outcome fails the test). */
async function rejection(promise: Promise<unknown>): Promise<OdoopsError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof OdoopsError) return error
    throw error
  }
  return expect.fail('expected the call to be refused')
}

/** The raw headers of a tar, as tar-stream reads them. */
async function rawHeaders(path: string): Promise<Header[]> {
  const extract = tarExtract()
  const headers: Header[] = []
  extract.end(readFileSync(path))
  for await (const entry of extract) {
    headers.push(entry.header)
    entry.resume()
  }
  return headers
}

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('addon sources and releases', () => {
  let root: string
  let releases: string
  let cache: string
  const listReleases = () => (existsSync(releases) ? readdirSync(releases) : [])

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'odoops-sources-'))
    releases = join(root, 'releases')
    cache = join(root, 'cache')
  })
  afterEach(() => {
    rmSync(root, {recursive: true, force: true})
  })

  describe('directory source and the canonical release tar', () => {
    let src: string
    beforeEach(() => {
      src = join(root, 'src')
      writeTree(src, TREE)
    })

    it('writes <sha256>.tar whose name is the SHA-256 of its bytes, and reuses it for the same tree', async () => {
      const first = await snapshotDirectory(src, releases)
      expect(first.reused).to.equal(false)
      expect(first.tarPath).to.equal(join(releases, `${first.sha256}.tar`))
      expect(sha256Of(first.tarPath)).to.equal(first.sha256)
      expect(first.sizeBytes).to.equal(readFileSync(first.tarPath).byteLength)
      expect(first.fileCount).to.equal(7)
      expect(first.modules).to.deep.equal(['sale_extra', 'web_theme'])

      const second = await snapshotDirectory(src, releases)
      expect(second).to.deep.equal({...first, reused: true})
      expect(listReleases()).to.deep.equal([`${first.sha256}.tar`])
    })

    it('holds the files sorted bytewise, folders implied, mtime 0, owner 0:0 unnamed, modes 0644/0755', async () => {
      mkdirSync(join(src, 'web_theme', 'empty'))
      const release = await snapshotDirectory(src, releases)
      expect(await readReleaseEntries(release.tarPath)).to.deep.equal(TREE_ENTRIES)
      const headers = await rawHeaders(release.tarPath)
      expect(headers.map((h) => h.name)).to.deep.equal(TREE_ENTRIES.map((e) => (e.kind === 'dir' ? `${e.path}/` : e.path)))
      for (const header of headers) {
        expect(header.mtime.getTime(), header.name).to.equal(0)
        expect([header.uid, header.gid, header.uname, header.gname], header.name).to.deep.equal([0, 0, '', ''])
        const executable = header.type === 'directory' || header.name === 'sale_extra/tools/run.sh'
        expect(header.mode, header.name).to.equal(executable ? 0o755 : 0o644)
        expect(header.type, header.name).to.be.oneOf(['file', 'directory'])
      }
    })

    it('gives the same release when only mtimes change, and another one when a byte changes', async () => {
      const before = await snapshotDirectory(src, releases)
      utimesSync(join(src, 'sale_extra', '__init__.py'), new Date(2001, 1, 1), new Date(2001, 1, 1))
      expect((await snapshotDirectory(src, releases)).sha256).to.equal(before.sha256)
      writeFileSync(join(src, 'sale_extra', '__init__.py'), 'from . import modelz\n')
      const after = await snapshotDirectory(src, releases)
      expect(after.sha256).to.not.equal(before.sha256)
      expect(after.reused).to.equal(false)
      expect(listReleases().sort()).to.deep.equal([`${before.sha256}.tar`, `${after.sha256}.tar`].sort())
    })

    it('leaves out .git, __pycache__, *.pyc, *.pyo and .DS_Store', async () => {
      const clean = await snapshotDirectory(src, releases)
      writeTree(src, {
        '.git/config': '[remote "origin"]\n\turl = https://user:token@example.com/x.git\n',
        '.git/HEAD': 'ref: refs/heads/main\n',
        'sale_extra/__pycache__/__init__.cpython-311.pyc': 'bytecode',
        'sale_extra/models/old.pyc': 'bytecode',
        'sale_extra/models/old.pyo': 'bytecode',
        '.DS_Store': 'finder',
        'web_theme/.DS_Store': 'finder',
      })
      const dirty = await snapshotDirectory(src, releases)
      expect(dirty.sha256).to.equal(clean.sha256)
      expect((await readReleaseEntries(dirty.tarPath)).map((e) => e.path)).to.deep.equal(TREE_ENTRIES.map((e) => e.path))
    })

    it('refuses a symbolic link out of the folder, naming it, and keeps nothing', async () => {
      writeFileSync(join(root, 'secret.txt'), 'outside')
      symlinkSync(join(root, 'secret.txt'), join(src, 'sale_extra', 'leak.txt'))
      const error = await rejection(snapshotDirectory(src, releases))
      expect(error.code).to.equal('ADDONS_SOURCE_INVALID')
      expect(error.exit).to.equal(2)
      expect(error.message).to.equal(`${join(src, 'sale_extra', 'leak.txt')} is a symbolic link to ${join(root, 'secret.txt')}, outside the folder.`)
      expect(listReleases()).to.deep.equal([])
    })

    it('refuses a relative link climbing out, and a dangling link', async () => {
      symlinkSync('../../secret.txt', join(src, 'web_theme', 'up.txt'))
      writeFileSync(join(root, 'secret.txt'), 'outside')
      expect((await rejection(snapshotDirectory(src, releases))).message).to.contain(`${join(src, 'web_theme', 'up.txt')} is a symbolic link to`)
      rmSync(join(src, 'web_theme', 'up.txt'))
      symlinkSync('nowhere.txt', join(src, 'web_theme', 'dangling.txt'))
      const error = await rejection(snapshotDirectory(src, releases))
      expect(error.code).to.equal('ADDONS_SOURCE_INVALID')
      expect(error.message).to.equal(`${join(src, 'web_theme', 'dangling.txt')} is a symbolic link to "nowhere.txt", which does not exist (or is a loop).`)
    })

    it('stores a link inside the folder as a copy of what it points to (file or folder)', async () => {
      // OCA's setup/ trees: setup/<module>/odoo/addons/<module> -> ../../../../<module>
      mkdirSync(join(src, 'setup', 'web_theme', 'odoo', 'addons'), {recursive: true})
      symlinkSync('../../../../web_theme', join(src, 'setup', 'web_theme', 'odoo', 'addons', 'web_theme'))
      symlinkSync('tools/run.sh', join(src, 'sale_extra', 'run'))
      const release = await snapshotDirectory(src, releases)
      const entries = await readReleaseEntries(release.tarPath)
      expect(entries.find((e) => e.path === 'sale_extra/run')).to.deep.equal({path: 'sale_extra/run', kind: 'file', executable: true, size: 18})
      expect(entries.filter((e) => e.path.startsWith('setup/web_theme/odoo/addons/web_theme/')).map((e) => e.path)).to.deep.equal([
        'setup/web_theme/odoo/addons/web_theme/__manifest__.py',
        'setup/web_theme/odoo/addons/web_theme/static',
        'setup/web_theme/odoo/addons/web_theme/static/src',
        'setup/web_theme/odoo/addons/web_theme/static/src/app.js',
      ])
      expect((await readReleaseFile(release.tarPath, 'sale_extra/run'))?.toString()).to.equal('#!/bin/sh\necho hi\n')
      expect(release.modules).to.deep.equal(['sale_extra', 'web_theme'])
    })

    it('refuses a link to a folder that holds it (a loop)', async () => {
      symlinkSync('..', join(src, 'web_theme', 'parent'))
      const error = await rejection(snapshotDirectory(src, releases))
      expect(error.code).to.equal('ADDONS_SOURCE_INVALID')
      expect(error.message).to.equal(`${join(src, 'web_theme', 'parent')} is a link to ".", which holds the link itself: a loop.`)
    })

    it('refuses special files', async () => {
      await execa('mkfifo', [join(src, 'web_theme', 'pipe')])
      const error = await rejection(snapshotDirectory(src, releases))
      expect(error.code).to.equal('ADDONS_SOURCE_INVALID')
      expect(error.message).to.equal(`${join(src, 'web_theme', 'pipe')} is a special file (socket, fifo or device).`)
    })

    it('refuses a missing folder and a file given as the folder', async () => {
      const missing = await rejection(snapshotDirectory(join(root, 'nope'), releases))
      expect([missing.code, missing.exit, missing.message]).to.deep.equal(['ADDONS_SOURCE_NOT_FOUND', 2, `${join(root, 'nope')} does not exist.`])
      const file = await rejection(snapshotDirectory(join(src, 'README.md'), releases))
      expect([file.code, file.exit, file.message]).to.deep.equal(['ADDONS_SOURCE_NOT_FOUND', 2, `${join(src, 'README.md')} is not a directory.`])
    })

    it('refuses a single module given alone, and a folder without modules', async () => {
      const single = await rejection(snapshotDirectory(join(src, 'sale_extra'), releases))
      expect([single.code, single.exit]).to.deep.equal(['ADDONS_SOURCE_SINGLE_MODULE', 2])
      expect(single.suggestions[0]).to.contain('a folder OF modules')
      const empty = join(root, 'empty')
      writeTree(empty, {'docs/index.md': '# docs\n', 'notes.txt': 'x'})
      const none = await rejection(snapshotDirectory(empty, releases))
      expect([none.code, none.exit]).to.deep.equal(['ADDONS_SOURCE_EMPTY', 2])
      expect(listReleases()).to.deep.equal([])
    })

    it('unwraps a lone wrapper folder', async () => {
      const wrapped = join(root, 'wrapped')
      writeTree(join(wrapped, 'addons-17.0'), TREE)
      const direct = await snapshotDirectory(src, releases)
      expect((await snapshotDirectory(wrapped, releases)).sha256).to.equal(direct.sha256)
    })

    it('refuses a tree past the limits with ADDONS_SOURCE_TOO_LARGE', async () => {
      const error = await rejection(snapshotDirectory(src, releases, {limits: {maxFileBytes: 30}}))
      expect([error.code, error.exit]).to.deep.equal(['ADDONS_SOURCE_TOO_LARGE', 2])
      expect(error.message).to.equal(`${join(src, 'sale_extra', '__manifest__.py')} is ${SALE_MANIFEST.length} B, more than the 30 B allowed for one file.`)
    })
  })

  describe('release readers', () => {
    it('readManifests gives every module\'s manifest text, listModules the modules, readReleaseFile one file', async () => {
      const src = join(root, 'src')
      writeTree(src, {
        ...TREE,
        'l10n_be_extra/__manifest__.py': "{'name': 'BE'}\n",
        'web_theme/sub/__manifest__.py': 'not a module manifest',
        // Odoo could not import it (odoo.addons.not-a-module): a folder, not a module.
        'not-a-module/__manifest__.py': '{}',
      })
      const release = await snapshotDirectory(src, releases)
      expect(await readManifests(release.tarPath)).to.deep.equal([
        {module: 'l10n_be_extra', text: "{'name': 'BE'}\n"},
        {module: 'sale_extra', text: SALE_MANIFEST},
        {module: 'web_theme', text: THEME_MANIFEST},
      ])
      expect(await listModules(release.tarPath)).to.deep.equal(['l10n_be_extra', 'sale_extra', 'web_theme'])
      expect(release.modules).to.deep.equal(['l10n_be_extra', 'sale_extra', 'web_theme'])
      expect((await readReleaseFile(release.tarPath, 'not-a-module/__manifest__.py'))?.toString()).to.equal('{}')
      expect((await readReleaseFile(release.tarPath, 'web_theme/static/src/app.js'))?.toString()).to.equal('console.log(1)\n')
      expect(await readReleaseFile(release.tarPath, 'web_theme/nope.js')).to.equal(undefined)
      const gone = await rejection(readReleaseEntries(join(releases, 'missing.tar')))
      expect([gone.code, gone.exit]).to.deep.equal(['ADDONS_RELEASE_UNREADABLE', 1])
      expect(gone.message).to.match(new RegExp(`^Cannot read the release ${join(releases, 'missing.tar')}: ENOENT`))
    })
  })

  describe('archive source', () => {
    let direct: string
    beforeEach(async () => {
      const src = join(root, 'src')
      writeTree(src, TREE)
      direct = (await snapshotDirectory(src, join(root, 'direct'))).sha256
    })

    it('gives a .tar.gz, a .tar and a .zip of the tree the same release as the folder', async () => {
      await makeTar(join(root, 'a.tar.gz'), tarSpecs(TREE))
      await makeTar(join(root, 'a.tar'), tarSpecs(TREE), false)
      await makeZip(join(root, 'a.zip'), tarSpecs(TREE).map((s) => ({...s, mode: s.mode === 0o755 ? 0o100755 : 0o100644})))
      for (const name of ['a.tar.gz', 'a.tar', 'a.zip']) {
        const release = await snapshotArchive(join(root, name), releases)
        expect(release.sha256, name).to.equal(direct)
        expect(release.modules, name).to.deep.equal(['sale_extra', 'web_theme'])
      }
      expect(listReleases()).to.deep.equal([`${direct}.tar`])
    })

    it('unwraps GitHub\'s repo-17.0/ folder and reads ./-prefixed names (tar czf x.tgz .)', async () => {
      await makeTar(join(root, 'gh.tgz'), [{name: 'repo-17.0/', type: 'directory'}, ...tarSpecs(TREE, 'repo-17.0/')])
      await makeTar(join(root, 'dot.tgz'), [{name: './', type: 'directory'}, ...tarSpecs(TREE, './')])
      await makeZip(join(root, 'gh.zip'), tarSpecs(TREE, 'repo-17.0/').map((s) => ({...s, mode: s.mode === 0o755 ? 0o100755 : 0o100644})))
      for (const name of ['gh.tgz', 'dot.tgz', 'gh.zip']) expect((await snapshotArchive(join(root, name), releases)).sha256, name).to.equal(direct)
    })

    it('refuses a single module in GitHub\'s wrapper folder', async () => {
      await makeTar(join(root, 'one.tgz'), tarSpecs({'sale_extra-17.0/__manifest__.py': SALE_MANIFEST, 'sale_extra-17.0/models/__init__.py': ''}))
      const error = await rejection(snapshotArchive(join(root, 'one.tgz'), releases))
      expect([error.code, error.exit, error.message]).to.deep.equal([
        'ADDONS_SOURCE_SINGLE_MODULE',
        2,
        `Archive ${join(root, 'one.tgz')} is a single Odoo module (it has a __manifest__.py at its top), not a repository of modules.`,
      ])
      expect(listReleases()).to.deep.equal([])
    })

    const unsafe: [string, TarSpec, string][] = [
      ['a ../ path', {name: 'sale_extra/../../x.py', content: 'x'}, 'entry "sale_extra/../../x.py" climbs out of its folder with ..'],
      ['an absolute path', {name: '/etc/cron.d/x', content: 'x'}, 'entry "/etc/cron.d/x" is an absolute path'],
      ['a backslash', {name: 'sale_extra\\..\\..\\x.py', content: 'x'}, 'entry "sale_extra\\\\..\\\\..\\\\x.py" holds a backslash'],
      ['a symbolic link', {name: 'sale_extra/passwd', type: 'symlink', linkname: '/etc/passwd'}, 'entry "sale_extra/passwd" is a symbolic link (to "/etc/passwd")'],
      ['a hard link', {name: 'sale_extra/shadow', type: 'link', linkname: 'README.md'}, 'entry "sale_extra/shadow" is a hard link (to "README.md")'],
      ['a device', {name: 'sale_extra/null', type: 'character-device'}, 'entry "sale_extra/null" is a character-device entry'],
      ['a fifo', {name: 'sale_extra/fifo', type: 'fifo'}, 'entry "sale_extra/fifo" is a fifo entry'],
      ['a name given twice', {name: 'README.md', content: 'again'}, 'entry "README.md" appears twice (or as a file and as a folder)'],
    ]
    for (const [what, spec, message] of unsafe) {
      it(`refuses a tar with ${what}, naming the entry, and keeps nothing`, async () => {
        await makeTar(join(root, 'bad.tgz'), [...tarSpecs(TREE), spec])
        const error = await rejection(snapshotArchive(join(root, 'bad.tgz'), releases))
        expect([error.code, error.exit]).to.deep.equal(['ADDONS_ARCHIVE_UNSAFE', 2])
        expect(error.message).to.contain(`Archive ${join(root, 'bad.tgz')}: ${message}`)
        expect(listReleases()).to.deep.equal([])
      })
    }

    it('refuses a zip with ../ or an absolute path (names patched in after yazl), or a symbolic link', async () => {
      const cases: [string, string, string][] = [
        ['zz/evil.py', '../evil.py', 'entry "../evil.py" climbs out of its folder with ..'],
        ['zetc/passwd', '/etc/passwd', 'entry "/etc/passwd" is an absolute path'],
      ]
      for (const [made, patched, message] of cases) {
        const path = join(root, 'bad.zip')
        await makeZip(path, [...tarSpecs(TREE), {name: made, content: 'x'}])
        const bytes = readFileSync(path)
        // yazl refuses such names: the same-length name is swapped in its local and central headers.
        writeFileSync(path, Buffer.from(bytes.toString('latin1').split(made).join(patched), 'latin1'))
        const error = await rejection(snapshotArchive(path, releases))
        expect([error.code, error.message], patched).to.deep.equal(['ADDONS_ARCHIVE_UNSAFE', `Archive ${path}: ${message}. Nothing was taken from it.`])
      }
      await makeZip(join(root, 'link.zip'), [...tarSpecs(TREE), {name: 'sale_extra/passwd', content: '/etc/passwd', mode: 0o120777}])
      const error = await rejection(snapshotArchive(join(root, 'link.zip'), releases))
      expect([error.code, error.message]).to.deep.equal([
        'ADDONS_ARCHIVE_UNSAFE',
        `Archive ${join(root, 'link.zip')}: entry "sale_extra/passwd" is a symbolic link; releases hold files and folders only. Nothing was taken from it.`,
      ])
      expect(listReleases()).to.deep.equal([])
    })

    it('refuses archives past the entry, total and per-file limits, leaving no temporary file', async () => {
      await makeTar(join(root, 'a.tgz'), tarSpecs(TREE))
      await makeZip(join(root, 'a.zip'), tarSpecs(TREE))
      for (const name of ['a.tgz', 'a.zip']) {
        const path = join(root, name)
        const many = await rejection(snapshotArchive(path, releases, {limits: {maxEntries: 5}}))
        expect([many.code, many.exit], name).to.deep.equal(['ADDONS_ARCHIVE_UNSAFE', 2])
        expect(many.message, name).to.match(name === 'a.zip' ? /^Archive .*a\.zip holds 13 entries, more than the 5 allowed\./ : /: entry ".*" is one entry more than the 5 allowed\./)
        const big = await rejection(snapshotArchive(path, releases, {limits: {maxBytes: 100}}))
        expect([big.code, big.message.includes('allowed')], name).to.deep.equal(['ADDONS_ARCHIVE_UNSAFE', true])
        const file = await rejection(snapshotArchive(path, releases, {limits: {maxFileBytes: 20}}))
        expect(file.message, name).to.contain(`entry "sale_extra/__manifest__.py" is ${SALE_MANIFEST.length} B, more than the 20 B allowed for one file`)
        expect(listReleases(), name).to.deep.equal([])
      }
      // The tar's own bytes are counted too: 13 entries make more than 13 × 512 bytes of headers.
      const bomb = await rejection(snapshotArchive(join(root, 'a.tgz'), releases, {limits: {maxBytes: 6000}}))
      expect(bomb.message).to.contain('the uncompressed archive past the 5.9 KiB allowed')
    })

    it('refuses a file that is no archive, and a missing one', async () => {
      writeFileSync(join(root, 'x.zip'), 'not an archive at all')
      const invalid = await rejection(snapshotArchive(join(root, 'x.zip'), releases))
      expect([invalid.code, invalid.exit, invalid.message]).to.deep.equal(['ADDONS_ARCHIVE_INVALID', 2, `${join(root, 'x.zip')} is not a .tar.gz, .tgz, .tar or .zip archive.`])
      writeFileSync(join(root, 'cut.tgz'), gzipSync(Buffer.alloc(100, 7)))
      expect((await rejection(snapshotArchive(join(root, 'cut.tgz'), releases))).code).to.equal('ADDONS_ARCHIVE_INVALID')
      const missing = await rejection(snapshotArchive(join(root, 'nope.tgz'), releases))
      expect([missing.code, missing.exit]).to.deep.equal(['ADDONS_SOURCE_NOT_FOUND', 2])
      expect(listReleases()).to.deep.equal([])
    })
  })

  describe('git source', () => {
    const saved: Record<string, string | undefined> = {}
    // No system or user git config, and no proxy between git and the loopback.
    const isolation = {GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost'}
    before(() => {
      for (const [name, value] of Object.entries(isolation)) {
        saved[name] = process.env[name]
        process.env[name] = value
      }
    })
    after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    })

    let repo: string
    let url: string
    const git = async (...args: string[]) =>
      (await execa('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'init.defaultBranch=main', ...args], {cwd: repo})).stdout.trim()
    const commit = async (message: string) => {
      await git('add', '-A')
      await git('commit', '-q', '-m', message)
      return git('rev-parse', 'HEAD')
    }

    beforeEach(async () => {
      repo = join(root, 'repo')
      mkdirSync(repo)
      url = `file://${repo}`
      await git('init', '-q')
      writeTree(repo, TREE)
    })

    it('pins the default branch, a branch, a tag, a short SHA; a moving branch moves', async () => {
      const first = await commit('first')
      await git('tag', 'v1')
      writeFileSync(join(repo, 'web_theme', 'static', 'src', 'app.js'), 'console.log(2)\n')
      const second = await commit('second')

      const byDefault = await pinGit(url, undefined, {cacheDir: cache, releasesDir: releases})
      expect([byDefault.ref, byDefault.commit, byDefault.reused]).to.deep.equal(['main', second, false])
      expect(byDefault.releaseSha256).to.equal(byDefault.sha256)
      expect(byDefault.modules).to.deep.equal(['sale_extra', 'web_theme'])
      const byBranch = await pinGit(url, 'main', {cacheDir: cache, releasesDir: releases})
      expect([byBranch.ref, byBranch.commit, byBranch.sha256, byBranch.reused]).to.deep.equal(['main', second, byDefault.sha256, true])
      const byTag = await pinGit(url, 'v1', {cacheDir: cache, releasesDir: releases})
      expect([byTag.ref, byTag.commit]).to.deep.equal(['v1', first])
      expect(byTag.sha256).to.not.equal(byBranch.sha256)
      expect((await readReleaseFile(byTag.tarPath, 'web_theme/static/src/app.js'))?.toString()).to.equal('console.log(1)\n')
      const byShort = await pinGit(url, first.slice(0, 8), {cacheDir: cache, releasesDir: releases})
      expect([byShort.commit, byShort.sha256]).to.deep.equal([first, byTag.sha256])

      writeFileSync(join(repo, 'README.md'), '# moved\n')
      const third = await commit('third')
      const moved = await pinGit(url, 'main', {cacheDir: cache, releasesDir: releases})
      expect([moved.commit, moved.reused]).to.deep.equal([third, false])
      // One mirror for the URL, and no URL (nor credential) in its config.
      const mirrors = readdirSync(join(cache, 'addons', 'git'))
      expect(mirrors).to.have.length(1)
      expect(mirrors[0]).to.match(/^[0-9a-f]{16}\.git$/)
      expect(readFileSync(join(cache, 'addons', 'git', mirrors[0], 'config'), 'utf8')).to.not.contain(repo)
    })

    it('gives a commit the same release as the same tree in a folder, links inside the tree followed', async () => {
      mkdirSync(join(repo, 'setup', 'sale_extra', 'odoo', 'addons'), {recursive: true})
      symlinkSync('../../../../sale_extra', join(repo, 'setup', 'sale_extra', 'odoo', 'addons', 'sale_extra'))
      await commit('with setup')
      const pinned = await pinSource({kind: 'git', url: repo}, {cacheDir: cache, releasesDir: releases})
      const folder = await pinSource({kind: 'dir', path: repo}, {cacheDir: cache, releasesDir: releases})
      expect(folder.sha256).to.equal(pinned.sha256)
      expect(folder.reused).to.equal(true)
      expect(pinned).to.deep.include({ref: 'main', fileCount: 11, modules: ['sale_extra', 'web_theme']})
      expect(pinned).to.not.have.property('releaseSha256')
      expect((await readReleaseFile(pinned.tarPath, 'setup/sale_extra/odoo/addons/sale_extra/__manifest__.py'))?.toString()).to.equal(SALE_MANIFEST)
    })

    it('refuses a link out of the repository', async () => {
      symlinkSync('../../outside.txt', join(repo, 'web_theme', 'leak.txt'))
      const sha = await commit('leak')
      const error = await rejection(pinGit(url, undefined, {cacheDir: cache, releasesDir: releases}))
      expect([error.code, error.exit, error.message]).to.deep.equal([
        'ADDONS_SOURCE_INVALID',
        2,
        `Repository ${url} at ${sha.slice(0, 12)}: "web_theme/leak.txt" is a link that points outside the tree.`,
      ])
      expect(listReleases()).to.deep.equal([])
    })

    it('refuses an unknown ref with ADDONS_REF_NOT_FOUND listing the branches, and revision expressions', async () => {
      await commit('first')
      await git('branch', '16.0')
      const error = await rejection(pinGit(url, 'nope', {cacheDir: cache, releasesDir: releases}))
      expect([error.code, error.exit, error.message]).to.deep.equal(['ADDONS_REF_NOT_FOUND', 2, `${url} has no branch, tag or commit "nope".`])
      expect((error.data?.branches as string[]).sort()).to.deep.equal(['16.0', 'main'])
      expect(error.suggestions[0]).to.match(/^Its branches include: (16\.0, main|main, 16\.0)\.$/)
      const expression = await rejection(pinGit(url, 'main~1', {cacheDir: cache, releasesDir: releases}))
      expect([expression.code, expression.exit]).to.deep.equal(['ADDONS_REF_INVALID', 2])
      const option = await rejection(pinGit(url, '--upload-pack=touch', {cacheDir: cache, releasesDir: releases}))
      expect(option.code).to.equal('ADDONS_REF_INVALID')
      expect(listReleases()).to.deep.equal([])
    })

    it('fails unreachable repositories with ADDONS_GIT_FAILED without printing the URL\'s password', async () => {
      // Port 1 of the loopback: refused at once, no network involved.
      const error = await rejection(pinGit('https://alice:hunter2-secret@127.0.0.1:1/oca/web.git', '17.0', {cacheDir: cache, releasesDir: releases, timeoutMs: 60_000}))
      expect([error.code, error.exit]).to.deep.equal(['ADDONS_GIT_FAILED', 1])
      expect(error.message).to.match(/^Fetching https:\/\/127\.0\.0\.1:1\/oca\/web\.git failed: fatal: /)
      expect(JSON.stringify({m: error.message, s: error.suggestions, d: error.data})).to.not.contain('hunter2')
      // Registered for redaction wherever else it could appear.
      expect(redact('token hunter2-secret')).to.equal(`token ${REDACTED}`)
      const missing = await rejection(pinGit(`file://${join(root, 'nope')}`, undefined, {cacheDir: cache, releasesDir: releases}))
      expect([missing.code, missing.exit]).to.deep.equal(['ADDONS_GIT_FAILED', 1])
    })

    it('runs ssh in batch mode (no prompt) unless the user chose their ssh command', async () => {
      const bin = join(root, 'bin')
      mkdirSync(bin)
      for (const name of ['ssh', 'my-ssh']) {
        writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${join(root, 'ssh.log')}\nexit 255\n`, {mode: 0o755})
      }
      const saved = {PATH: process.env.PATH, GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND, GIT_SSH: process.env.GIT_SSH, GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL}
      process.env.PATH = `${bin}:${process.env.PATH}`
      delete process.env.GIT_SSH_COMMAND
      delete process.env.GIT_SSH
      try {
        const error = await rejection(pinGit('git@example.invalid:oca/web.git', '17.0', {cacheDir: cache, releasesDir: releases}))
        expect([error.code, error.exit]).to.deep.equal(['ADDONS_GIT_FAILED', 1])
        writeFileSync(join(root, 'gitconfig'), '[core]\n\tsshCommand = my-ssh\n')
        process.env.GIT_CONFIG_GLOBAL = join(root, 'gitconfig')
        await rejection(pinGit('ssh://git@example.invalid/oca/web.git', '17.0', {cacheDir: cache, releasesDir: releases}))
      } finally {
        for (const [name, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[name]
          else process.env[name] = value
        }
      }
      const log = readFileSync(join(root, 'ssh.log'), 'utf8').split('\n').filter((line) => line !== '')
      expect(log[0]).to.match(/^ssh -o BatchMode=yes .*git@example\.invalid git-upload-pack 'oca\/web\.git'$/)
      // git may first probe a custom command's flavour (`my-ssh -G host`): every later call is the user's command, as it is.
      expect(log.slice(1).every((line) => line.startsWith('my-ssh ') && !line.includes('BatchMode')), log.join('\n')).to.equal(true)
      expect(log[log.length - 1]).to.equal("my-ssh git@example.invalid git-upload-pack '/oca/web.git'")
    })

    it('refuses what is not a git URL', async () => {
      for (const bad of ['ext::sh -c touch% /tmp/pwned', '-uhelp', 'relative/path', 'fd::3']) {
        const error = await rejection(pinGit(bad, undefined, {cacheDir: cache, releasesDir: releases}))
        expect([error.code, error.exit], bad).to.deep.equal(['ADDONS_GIT_URL_INVALID', 2])
      }
    })
  })

  describe('redactGitUrls', () => {
    it('removes credentials from URLs in any text, keeping ssh users and scp-style addresses', () => {
      expect(redactGitUrls("fatal: unable to access 'https://bob:pa%40ss@git.example.com/x.git/': 403")).to.equal(
        "fatal: unable to access 'https://git.example.com/x.git/': 403",
      )
      expect(redactGitUrls('https://ghp_token123@github.com/o/r.git')).to.equal('https://github.com/o/r.git')
      expect(redactGitUrls('ssh://git@github.com/o/r.git')).to.equal('ssh://git@github.com/o/r.git')
      expect(redactGitUrls('ssh://git:pw@github.com/o/r.git')).to.equal('ssh://github.com/o/r.git')
      expect(redactGitUrls('git@github.com:o/r.git')).to.equal('git@github.com:o/r.git')
    })
  })

  describe('pinSource', () => {
    it('pins a folder and an archive through the one entry point', async () => {
      const src = join(root, 'src')
      writeTree(src, TREE)
      await makeTar(join(root, 'a.tgz'), tarSpecs(TREE))
      const dirs = {cacheDir: cache, releasesDir: releases}
      const folder = await pinSource({kind: 'dir', path: src}, dirs)
      const archive = await pinSource({kind: 'archive', path: join(root, 'a.tgz')}, dirs)
      expect(archive).to.deep.equal({...folder, reused: true})
      expect(folder).to.deep.equal({
        sha256: sha256Of(folder.tarPath),
        tarPath: join(releases, `${folder.sha256}.tar`),
        sizeBytes: readFileSync(folder.tarPath).byteLength,
        fileCount: 7,
        modules: ['sale_extra', 'web_theme'],
        reused: false,
      })
    })
  })
})
