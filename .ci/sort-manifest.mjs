// oclif writes commands in the order its file glob returns them, which varies from run to
// run; sorting by command id makes the generated manifest reproducible, so CI can fail on a
// stale committed copy with a plain `git diff`.
import {readFileSync, writeFileSync} from 'node:fs'

const file = process.argv[2] ?? 'oclif.manifest.json'
const manifest = JSON.parse(readFileSync(file, 'utf8'))
const commands = Object.fromEntries(Object.entries(manifest.commands).sort(([a], [b]) => a.localeCompare(b)))
writeFileSync(file, JSON.stringify({...manifest, commands}, null, 2) + '\n')
