import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {
  assertKey,
  backupId,
  backupKey,
  buildManifest,
  chooseCodec,
  DigestStream,
  dumpCommand,
  filestoreCommand,
  filestoreStatsCommand,
  killableScript,
  LocalTarget,
  odooPgVersion,
  parseFilestoreStats,
  parseProbe,
  runExitCode,
  serverMajor,
  validateTargetInput,
  versionInfo,
} from '../../src/lib/backup/index.js'
import type {OdoopsManifest} from '../../src/lib/backup/manifest.js'
import {OdoopsError} from '../../src/lib/errors.js'
import {shell} from '../../src/lib/ssh/quote.js'
import {locateTool} from '../helpers/tools.js'

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
const bash = (text: string) => spawnSync('bash', ['-c', text], {maxBuffer: 64 * 1024 * 1024})

describe('backup: pure parts', () => {
  it('parses the host probe and compares pg_dump with the server major', () => {
    const probe = parseProbe('pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\nzstd=0\npigz=1\npython3=1\n')
    expect(probe).to.deep.equal({pgDumpVersion: '15.8', pgDumpMajor: 15, zstd: false, pigz: true, python3: true})
    expect(parseProbe('pg_dump (PostgreSQL) 15.8\nzstd=1\npigz=0\npython3=0\n').python3).to.equal(false)
    expect(chooseCodec(probe)).to.equal('gzip')
    expect(chooseCodec({zstd: true, pigz: false})).to.equal('zstd')
    expect(serverMajor(150008)).to.equal(15)
    expect(serverMajor(160002)).to.be.greaterThan(parseProbe('pg_dump (PostgreSQL) 15.8').pgDumpMajor)
  })

  it('fills Odoo\'s manifest fields the way dump_db_manifest does', () => {
    expect(odooPgVersion(150008)).to.equal('15.0')
    expect(versionInfo('17.0')).to.deep.equal([17, 0, 0, 'final', 0, ''])
    expect(versionInfo('saas~17.1')).to.deep.equal([17, 1, 0, 'final', 0, ''])
    const manifest = buildManifest({database: 'acme.example.com', modules: {base: '17.0.1.3'}, serverVersionNum: 150008, odoops: {series: '17.0'} as OdoopsManifest})
    expect(manifest).to.include({odoo_dump: '1', db_name: 'acme.example.com', version: '17.0', major_version: '17.0', pg_version: '15.0'})
    expect(manifest.modules).to.deep.equal({base: '17.0.1.3'})
  })

  it('names backups sortably and keeps keys inside the target', () => {
    const id = backupId('acme', new Date('2025-03-04T05:06:07.890Z'), 'ab12')
    expect(id).to.equal('acme-20250304T050607Z-ab12')
    expect(backupKey('acme', id, 'manifest.json')).to.equal(`acme/${id}/manifest.json`)
    for (const bad of ['../x', '/etc/passwd', 'a//b', 'a/../b', 'a/b.partial', '', 'a/.hidden', 'a b']) {
      expect(() => assertKey(bad), bad).to.throw(OdoopsError)
    }
    expect(assertKey('acme/acme-1/database.dump.zst')).to.equal('acme/acme-1/database.dump.zst')
  })

  it('validates target input', () => {
    expect(validateTargetInput({name: 'nas', type: 'local', path: '/srv/b/'})).to.deep.include({path: '/srv/b'})
    expect(() => validateTargetInput({name: 'default', type: 'local', path: '/x'})).to.throw(/built-in/)
    expect(() => validateTargetInput({name: 'nas', type: 'local', path: 'rel/dir'})).to.throw(/absolute/)
    expect(() => validateTargetInput({name: 'off', type: 'sftp', path: '/x'})).to.throw(/--host/)
    expect(() => validateTargetInput({name: 'off', type: 's3', path: '/x'})).to.throw(/Unknown target type/)
  })

  it('maps results to exit codes: 0 all ok, 3 some failed, 1 all failed, 130 interrupted', () => {
    expect(runExitCode(2, 0, false)).to.equal(0)
    expect(runExitCode(1, 1, false)).to.equal(3)
    expect(runExitCode(0, 2, false)).to.equal(1)
    expect(runExitCode(1, 1, true)).to.equal(130)
  })

  it('hashes while streaming', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 'x')
    const digest = new DigestStream()
    const chunks: Buffer[] = []
    await pipeline(Readable.from([data.subarray(0, 1000), data.subarray(1000)]), digest, async function (source) {
      for await (const c of source) chunks.push(c as Buffer)
    })
    expect(digest.result()).to.deep.equal({size: data.length, sha256: sha256(data)})
    expect(Buffer.concat(chunks).equals(data)).to.equal(true)
  })

  it('builds a dump command with pipefail, -Z0 and the database after --', () => {
    const text = dumpCommand('acme.example.com', 'zstd', {zstd: true, pigz: false}, {port: 5433}).text
    expect(text).to.match(/^bash -c /)
    expect(text).to.include('set -euo pipefail')
    expect(text).to.include('pg_dump --format=custom --no-owner -Z0')
    expect(text).to.include('--port 5433 -- acme.example.com | zstd -T0 -1 -q -c')
  })

  it('a failure before the compressor fails the whole pipeline (pipefail)', () => {
    // The same script shape as dumpCommand, with a failing producer in place of pg_dump.
    const result = bash(killableScript([], shell`{ echo partial; exit 3; } | gzip -1 -c`).text + ' > /dev/null')
    expect(result.status).to.equal(3)
  })

  it('a stopped stream takes its whole pipeline with it (TERM to the script kills the blocked producer)', async () => {
    const duration = `300.${process.pid}`
    const marker = `sleep ${duration}`
    // setsid: its own session and process group, like the command of an sshd session.
    const child = spawn('setsid', ['bash', '-c', killableScript([], shell`sleep ${duration} | cat`).text], {stdio: 'ignore'})
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 143 : null))))
    await new Promise((resolve) => setTimeout(resolve, 300))
    const pgrep = () => spawnSync('pgrep', ['-f', marker]).stdout.toString().trim()
    expect(pgrep(), 'the producer runs').not.to.equal('')
    child.kill('SIGTERM')
    expect(await exited).to.equal(143)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(pgrep(), 'the producer is gone').to.equal('')
  })

  it('tars a filestore (any database name), an absent one as an empty archive, and counts its files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'odoops-fs-'))
    const store = join(dir, 'filestore', 'acme.example.com')
    const content = Buffer.from('attachment bytes')
    const name = sha256(content).slice(0, 40)
    mkdirSync(join(store, name.slice(0, 2)), {recursive: true})
    writeFileSync(join(store, name.slice(0, 2), name), content)
    for (const codec of ['gzip', 'zstd'] as const) {
      if (codec === 'zstd' && !locateTool('zstd', {debianPackage: 'zstd'})) continue
      const archive = bash(filestoreCommand(store, codec, {zstd: codec === 'zstd', pigz: false}).text)
      expect(archive.status, archive.stderr.toString()).to.equal(0)
      const out = join(dir, `out-${codec}`)
      mkdirSync(out)
      execFileSync('bash', ['-c', `${codec === 'zstd' ? 'zstd -d -q -c' : 'gzip -d -c'} | tar -x -C ${out}`], {input: archive.stdout})
      expect(readFileSync(join(out, name.slice(0, 2), name)).equals(content)).to.equal(true)
    }
    const empty = bash(filestoreCommand(join(dir, 'missing'), 'gzip', {zstd: false, pigz: false}).text)
    expect(empty.status).to.equal(0)
    expect(execFileSync('bash', ['-c', 'gzip -d -c | tar -t'], {input: empty.stdout}).toString()).to.equal('')
    expect(parseFilestoreStats(bash(filestoreStatsCommand(store).text).stdout.toString())).to.deep.equal({files: 1, bytes: content.length})
    expect(parseFilestoreStats(bash(filestoreStatsCommand(join(dir, 'missing')).text).stdout.toString())).to.deep.equal({files: 0, bytes: 0})
  })
})

describe('backup: local target', () => {
  const write = async (target: LocalTarget, key: string, data: Buffer) => {
    const w = await target.openWrite(key)
    await pipeline(Readable.from([data]), w.stream)
    return w
  }

  it('commits only after checking size and SHA-256 on disk, then reads, lists and deletes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-target-'))
    const target = new LocalTarget('t', root)
    const data = Buffer.from('backup bytes '.repeat(1000))
    const w = await write(target, 'acme/b1/database.dump.gz', data)
    expect(await target.list('acme/')).to.deep.equal([{key: 'acme/b1/database.dump.gz', size: data.length, partial: true}])
    await w.commit({size: data.length, sha256: sha256(data)})
    expect(await target.list('acme/')).to.deep.equal([{key: 'acme/b1/database.dump.gz', size: data.length, partial: false}])
    const chunks: Buffer[] = []
    for await (const c of await target.read('acme/b1/database.dump.gz')) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).equals(data)).to.equal(true)
    expect(await target.freeBytes()).to.be.a('number').greaterThan(0)
    expect(await target.delete('acme/b1/database.dump.gz')).to.equal(true)
    expect(readdirSync(root)).to.deep.equal([])
  })

  it('stores a stream of SSH-sized chunks byte for byte (written in batches), and many blobs committed at once in one directory', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-target-'))
    const target = new LocalTarget('t', root)
    // 3.5 MiB in 32 KiB chunks, each different: a batch written out of order or twice would show.
    const chunks = Array.from({length: 112}, (_, i) => Buffer.alloc(32 * 1024, i))
    const data = Buffer.concat(chunks)
    const w = await target.openWrite('acme/b1/database.dump.zst')
    await pipeline(Readable.from(chunks), w.stream)
    await w.commit({size: data.length, sha256: sha256(data)})
    expect(readFileSync(join(root, 'acme/b1/database.dump.zst')).equals(data)).to.equal(true)
    // Forty blobs in one shard directory committed side by side (their directory flushes shared).
    const blobs = Array.from({length: 40}, (_, i) => Buffer.from(`blob ${i}`))
    await Promise.all(blobs.map(async (blob, i) => (await write(target, `pool/ab/blob${i}`, blob)).commit({size: blob.length, sha256: sha256(blob)})))
    expect((await target.list('pool/')).map((e) => `${e.key}:${e.partial}`).sort()).to.deep.equal(blobs.map((_, i) => `pool/ab/blob${i}:false`).sort())
  })

  it('checks what the disk holds, read back behind the writer or at commit: a byte changed on its way to the file is caught', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-target-'))
    const target = new LocalTarget('t', root)
    const probe = await open(join(mkdtempSync(join(tmpdir(), 'odoops-probe-')), 'probe'), 'w')
    const fileHandle = Object.getPrototypeOf(probe) as {writev: (buffers: Buffer[], position: number) => Promise<unknown>}
    await probe.close()
    const writev = fileHandle.writev
    // A faulty write path: the file gets the batch with one byte flipped at 1.5 MiB (or in a one-batch file, at 5).
    fileHandle.writev = function (this: unknown, buffers: Buffer[], position: number) {
      const bytes = Buffer.concat(buffers)
      const at = (bytes.length > 4096 ? 1.5 * 1024 * 1024 : 5) - position
      if (at >= 0 && at < bytes.length) bytes[at] ^= 0xff
      return writev.call(this, [bytes], position)
    }
    try {
      for (const size of [3 * 1024 * 1024, 100]) {
        const chunks = Array.from({length: Math.ceil(size / 32768)}, (_, i) => Buffer.alloc(Math.min(32768, size - i * 32768), i + 1))
        const data = Buffer.concat(chunks)
        const w = await target.openWrite(`acme/b${size}/database.dump.zst`)
        await pipeline(Readable.from(chunks), w.stream)
        const refused = await w.commit({size: data.length, sha256: sha256(data)}).then(
          () => undefined,
          (error: unknown) => error as OdoopsError,
        )
        expect(refused?.code, `${size} bytes`).to.equal('BACKUP_TARGET_MISMATCH')
      }
    } finally {
      fileHandle.writev = writev
    }
    expect(await target.list('')).to.deep.equal([])
  })

  it('discards a copy that does not match, and abort leaves no partial file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-target-'))
    const target = new LocalTarget('t', root)
    const data = Buffer.from('some bytes')
    const w = await write(target, 'acme/b2/x.gz', data)
    try {
      await w.commit({size: data.length, sha256: sha256('other')})
      expect.fail('commit should refuse')
    } catch (error) {
      expect((error as OdoopsError).code).to.equal('BACKUP_TARGET_MISMATCH')
    }
    expect(await target.list('')).to.deep.equal([])
    const w2 = await target.openWrite('acme/b3/y.gz')
    w2.stream.write('half')
    await w2.abort()
    expect(await target.list('')).to.deep.equal([])
  })
})
