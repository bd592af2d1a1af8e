import {expect} from 'chai'
import {createHash, randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Readable} from 'node:stream'
import {extract as tarExtract} from 'tar-stream'
import {writeClaim} from '../../src/lib/backup/blobs/claims.js'
import {blobKey, contentAddress, decodeBlob, encodeBlob, sha1OfKey, type BlobRef} from '../../src/lib/backup/blobs/layout.js'
import {BlobProblem, filestoreTarFromBlobs} from '../../src/lib/backup/blobs/rebuild.js'
import {sweepBlobs} from '../../src/lib/backup/blobs/sweep.js'
import {serializeManifest, type OdooManifest} from '../../src/lib/backup/manifest.js'
import {parseFileList, parseSha1} from '../../src/lib/backup/shell/blobs.js'
import {LocalTarget} from '../../src/lib/backup/targets/local.js'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import {backupLockKey} from '../../src/lib/tenants/lock.js'

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex')

function putBlob(root: string, content: Buffer): string {
  const hash = sha1(content)
  mkdirSync(join(root, 'odoops_blobs', hash.slice(0, 2)), {recursive: true})
  writeFileSync(join(root, 'odoops_blobs', hash.slice(0, 2), hash), content)
  return hash
}

async function untar(stream: Readable): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  const extract = tarExtract()
  stream.once('error', (error) => extract.destroy(error))
  stream.pipe(extract)
  for await (const entry of extract) {
    const chunks: Buffer[] = []
    for await (const c of entry) chunks.push(c as Buffer)
    files.set(entry.header.name, sha1(Buffer.concat(chunks)))
  }
  return files
}

describe('backup blobs: pure parts and the local pool', () => {
  it('tells Odoo\'s content-addressed paths from other files and encodes manifest entries compactly', () => {
    const h = sha1(Buffer.from('x'))
    expect(contentAddress(`${h.slice(0, 2)}/${h}`)).to.equal(h)
    expect(contentAddress(`zz/${h}`)).to.equal(undefined)
    expect(contentAddress('checklist/notes.txt')).to.equal(undefined)
    expect(encodeBlob({path: `${h.slice(0, 2)}/${h}`, size: 1, sha1: h})).to.deep.equal([`${h.slice(0, 2)}/${h}`, 1])
    expect(encodeBlob({path: 'checklist/notes.txt', size: 1, sha1: h})).to.deep.equal(['checklist/notes.txt', 1, h])
    expect(decodeBlob(['checklist/notes.txt', 1, h])).to.deep.equal({path: 'checklist/notes.txt', size: 1, sha1: h})
    expect(() => decodeBlob(['checklist/notes.txt', 1])).to.throw(/SHA-1/)
    expect(blobKey(h)).to.equal(`odoops_blobs/${h.slice(0, 2)}/${h}`)
    expect(sha1OfKey(blobKey(h))).to.equal(h)
    expect(sha1OfKey(`acme/${h.slice(0, 2)}/${h}`)).to.equal(undefined)
    expect(parseFileList(Buffer.from(`12\tab/cd\u00005\tchecklist/a b.txt\u0000`))).to.deep.equal([{path: 'ab/cd', size: 12}, {path: 'checklist/a b.txt', size: 5}])
    expect([...parseSha1(`${h}  checklist/a b.txt\n`)]).to.deep.equal([['checklist/a b.txt', h]])
  })

  it('writes the manifest indented, each filestore entry on one line, and it parses back as it was', () => {
    const sha = (n: number) => createHash('sha1').update(String(n)).digest('hex')
    const blobs = [[`${sha(1).slice(0, 2)}/${sha(1)}`, 10], ['checklist/x.txt', 3, sha(2)]] as [string, number][]
    const manifest = {odoo_dump: '1', db_name: 'acme.example.test', modules: {base: '17.0.1.3'}, odoops: {format: 2, backupId: 'acme-1', blobs}} as unknown as OdooManifest
    const text = serializeManifest(manifest).toString('utf8')
    expect(JSON.parse(text)).to.deep.equal(manifest)
    expect(text.split('\n').filter((l) => l.trim().startsWith('["'))).to.deep.equal(blobs.map((b) => `      ${JSON.stringify(b)}${b === blobs.at(-1) ? '' : ','}`))
    const empty = {...manifest, odoops: {...manifest.odoops, blobs: []}} as unknown as OdooManifest
    expect(JSON.parse(serializeManifest(empty).toString('utf8'))).to.deep.equal(empty)
  })

  it('has() answers which keys exist, partial files not counted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-pool-'))
    const target = new LocalTarget('t', root)
    const a = putBlob(root, Buffer.from('a'))
    const b = sha1(Buffer.from('b'))
    mkdirSync(join(root, 'odoops_blobs', b.slice(0, 2)), {recursive: true})
    writeFileSync(join(root, 'odoops_blobs', b.slice(0, 2), b + '.partial'), 'b')
    expect([...(await target.has([blobKey(a), blobKey(b)]))]).to.deep.equal([blobKey(a)])
  })

  it('rebuilds a filestore tar from checked blobs; a corrupt or missing blob ends it with a BlobProblem', async () => {
    const root = mkdtempSync(join(tmpdir(), 'odoops-pool-'))
    const target = new LocalTarget('t', root)
    const one = randomBytes(3000)
    const two = Buffer.from('notes\n')
    const h1 = putBlob(root, one)
    const h2 = putBlob(root, two)
    const refs: BlobRef[] = [
      {path: `${h1.slice(0, 2)}/${h1}`, size: one.length, sha1: h1},
      {path: 'checklist/notes.txt', size: two.length, sha1: h2},
    ]
    expect(await untar(filestoreTarFromBlobs(target, refs))).to.deep.equal(new Map([[refs[0].path, h1], [refs[1].path, h2]]))

    const bad = Buffer.from(one)
    bad[10] ^= 0xff
    writeFileSync(join(root, 'odoops_blobs', h1.slice(0, 2), h1), bad)
    const corrupt = await untar(filestoreTarFromBlobs(target, refs)).then(() => undefined, (error: unknown) => error)
    expect(corrupt).to.be.instanceOf(BlobProblem)
    expect((corrupt as BlobProblem).ref.sha1).to.equal(h1)
    expect((corrupt as BlobProblem).kind).to.equal('corrupt')

    const gone = sha1(Buffer.from('gone'))
    const missing = await untar(filestoreTarFromBlobs(target, [{path: `${gone.slice(0, 2)}/${gone}`, size: 4, sha1: gone}])).then(() => undefined, (error: unknown) => error)
    expect((missing as BlobProblem).kind).to.equal('missing')
  })

  it('sweeps what nothing needs; a claim keeps its blobs while its run holds the tenant\'s backup lock', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'odoops-sweep-'))
    const root = join(dataDir, 'pool')
    mkdirSync(root)
    const store = await openStore(parseStateLocation(undefined, dataDir))
    try {
      const target = new LocalTarget('t', root)
      const orphan = putBlob(root, Buffer.from('orphan'))
      const claimed = putBlob(root, Buffer.from('claimed'))
      // A partial blob of the run in progress, and one of a dead run.
      const inflight = sha1(Buffer.from('inflight'))
      const dead = sha1(Buffer.from('dead'))
      for (const h of [inflight, dead]) {
        mkdirSync(join(root, 'odoops_blobs', h.slice(0, 2)), {recursive: true})
        writeFileSync(join(root, 'odoops_blobs', h.slice(0, 2), h + '.partial'), 'x')
      }
      await store.locks.acquire(backupLockKey('acme'), {owner: 'test run', ttlMs: 60_000})
      await writeClaim(store, target, 't', {tenant: 'acme', backupId: 'acme-20261205T000000Z-0001', sha1s: [claimed, inflight]})
      const first = await sweepBlobs(store, target, 't')
      expect(first).to.include({kept: 1, removed: 2})
      const at = (h: string, suffix = '') => existsSync(join(root, 'odoops_blobs', h.slice(0, 2), h + suffix))
      expect([at(orphan), at(claimed), at(inflight, '.partial'), at(dead, '.partial')]).to.deep.equal([false, true, true, false])
      // The run died (its lock is gone): its claim no longer protects anything.
      await store.locks.release(backupLockKey('acme'), 'test run')
      const second = await sweepBlobs(store, target, 't')
      expect(second).to.include({kept: 0, removed: 2})
      expect([at(claimed), at(inflight, '.partial')]).to.deep.equal([false, false])
    } finally {
      await store.close()
    }
  })
})
