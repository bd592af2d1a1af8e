// Runs the odoops CLI from the TypeScript sources (src/), like bin/dev.js, but also when a
// (possibly stale) oclif.manifest.json is present: oclif loads the commands a manifest names
// from its recorded dist/ path even in development mode, so bin/dev.js would run the built
// commands. Dropping the recorded paths makes oclif find each command under src/ (tsPath).
// Usage: node --import tsx test/helpers/run-sources.ts <odoops args>
import {Config, flush, handle, run} from '@oclif/core'
import {fileURLToPath} from 'node:url'

// Like bin/run.js otherwise: no oclif debug mode (it prints stacks a user of the built CLI never sees).
process.env.NODE_ENV = 'development'
const root = fileURLToPath(new URL('../..', import.meta.url))
const config = await Config.load(root)
for (const plugin of config.getPluginsList()) {
  if (plugin.root !== config.root) continue
  const {manifest} = plugin as unknown as {manifest: {commands: Record<string, {relativePath?: string[]}>}}
  for (const command of Object.values(manifest.commands)) delete command.relativePath
}
await run(process.argv.slice(2), config)
  .then(() => flush())
  .catch(async (error) => handle(error))
