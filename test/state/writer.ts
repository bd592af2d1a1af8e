// A second process writing to a store, for the concurrency and crash tests:
//   node --import tsx test/state/writer.ts insert <location> <prefix> <count>
//   node --import tsx test/state/writer.ts sequence <location> <name> <count>   (prints the numbers as JSON)
//   node --import tsx test/state/writer.ts lock <location> <key>                (takes the lock, exits holding it)
//   node --import tsx test/state/writer.ts loop <location> <prefix>             (writes until killed; "ready" after the first)
// (Mocha loads every file under test/state when given the directory: run only as a script.)
import {tmpdir} from 'node:os'
import {pathToFileURL} from 'node:url'
import {openStore, parseStateLocation} from '../../src/lib/state/open.js'

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main()

async function main(): Promise<void> {
  const [mode, location, name, countText] = process.argv.slice(2)
  const store = await openStore(parseStateLocation(location, tmpdir()))
  const count = Number(countText)

  if (mode === 'insert') {
    for (let i = 0; i < count; i++) await store.backups.insert({id: `${name}-${String(i).padStart(4, '0')}`, tenant: name, target: 't', status: 'ok'})
  } else if (mode === 'sequence') {
    const numbers: number[] = []
    for (let i = 0; i < count; i++) numbers.push(await store.nextSequence(name))
    process.stdout.write(JSON.stringify(numbers) + '\n')
  } else if (mode === 'lock') {
    const result = await store.locks.acquire(name, {owner: `writer-${process.pid}`, ttlMs: 600_000})
    process.stdout.write(JSON.stringify(result) + '\n')
    await store.close()
    process.exit(0) // exits holding the lock: its PID is gone afterwards
  } else if (mode === 'loop') {
    for (let i = 0; ; i++) {
      // Each transaction rewrites a collection file and meta.json: a kill lands mid-write often.
      await store.transaction(async (tx) => {
        await tx.backups.put({id: `${name}-${i % 50}`, tenant: name, target: 't', status: 'ok', payload: 'x'.repeat(2000), i})
        await tx.nextSequence(name)
      })
      await store.audit.append({time: new Date().toISOString(), user: 'u', machine: 'm', command: 'loop', args: [], outcome: 'ok', exitCode: 0, durationMs: 0})
      if (i === 0) process.stdout.write('ready\n')
    }
  } else {
    throw new Error(`unknown mode ${mode}`)
  }
  await store.close()
}
