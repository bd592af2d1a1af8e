// Separate processes writing to one store at once lose nothing; a writer killed mid-write
// leaves a store that opens, reads and takes the next write.
import {expect} from 'chai'
import {execa, type ResultPromise} from 'execa'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {BACKENDS, freshLocation, openAt, sleep} from './backends.js'

const writer = (args: string[]) => execa('node', ['--import', 'tsx', 'test/state/writer.ts', ...args])

for (const backend of BACKENDS) {
  describe(`state store concurrency: ${backend}`, function () {
    this.timeout(180_000)

    it('two processes inserting 200 records each at once: 400 records, none lost', async () => {
      const location = await freshLocation(backend)
      await Promise.all([writer(['insert', location, 'p1', '200']), writer(['insert', location, 'p2', '200'])])
      const store = await openAt(location)
      try {
        const records = await store.backups.list()
        expect(records).to.have.length(400)
        for (const prefix of ['p1', 'p2']) {
          const ids = records.filter((r) => r.tenant === prefix).map((r) => r.id)
          expect(ids, prefix).to.deep.equal(Array.from({length: 200}, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`))
        }
      } finally {
        await store.close()
      }
    })

    it('two processes drawing from one sequence at once: no number twice, none skipped', async () => {
      const location = await freshLocation(backend)
      const [a, b] = await Promise.all([writer(['sequence', location, 'invoice', '100']), writer(['sequence', location, 'invoice', '100'])])
      const numbers = [...(JSON.parse(a.stdout) as number[]), ...(JSON.parse(b.stdout) as number[])]
      expect(numbers.sort((x, y) => x - y)).to.deep.equal(Array.from({length: 200}, (_, i) => i + 1))
    })
  })
}

describe('state store crash: local', function () {
  this.timeout(180_000)

  it('a writer killed with SIGKILL mid-write leaves a store that opens, reads and takes writes', async () => {
    const location = await freshLocation('local')
    for (let round = 0; round < 6; round++) {
      const child: ResultPromise = execa('node', ['--import', 'tsx', 'test/state/writer.ts', 'loop', location, `w${round}`], {reject: false})
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve())
        child.catch(reject)
      })
      // Kill at a different point of the write cycle each round.
      await sleep(50 + round * 37)
      child.kill('SIGKILL')
      await child

      const store = await openAt(location)
      try {
        const records = await store.backups.list()
        expect(records.length).to.be.greaterThan(0)
        expect(records.every((r) => r.payload === 'x'.repeat(2000)), 'no torn record').to.equal(true)
        await store.audit.list()
        const started = Date.now()
        // The dead writer's store lock must not block this write for long.
        await store.hosts.put({id: `after-${round}`, address: 'a', port: 22, user: 'root'})
        expect(Date.now() - started).to.be.lessThan(5000)
        expect(await store.hosts.get(`after-${round}`)).to.not.equal(undefined)
      } finally {
        await store.close()
      }
      // Every collection file meta.json names exists (the commit point was respected).
      const meta = JSON.parse(readFileSync(join(location, 'meta.json'), 'utf8')) as {generations: Record<string, number>}
      const files = readdirSync(location)
      for (const [name, generation] of Object.entries(meta.generations)) expect(files).to.include(`${name}.${generation}.json`)
    }
  })
})

describe('state store locks: local', function () {
  it('a lock file still empty (its owner between create and write) reports that owner once written, not "unknown"', async () => {
    const location = await freshLocation('local')
    const store = await openAt(location)
    try {
      const first = await store.locks.acquire('job:every-minute/t1', {owner: 'daemon A', ttlMs: 60_000})
      expect(first.acquired).to.equal(true)
      const lockFile = readdirSync(location, {recursive: true, encoding: 'utf8'}).find((f) => f.endsWith('.lock') && f.includes('every-minute'))!
      const path = join(location, lockFile)
      const content = readFileSync(path, 'utf8')
      // The file exists but holds nothing yet; its owner writes it 150 ms later.
      writeFileSync(path, '')
      const writing = sleep(150).then(() => writeFileSync(path, content))
      const second = await store.locks.acquire('job:every-minute/t1', {owner: 'daemon B', ttlMs: 60_000})
      await writing
      expect(second.acquired).to.equal(false)
      expect(second.acquired ? '' : second.heldBy.owner).to.equal('daemon A')
    } finally {
      await store.close()
    }
  })
})
