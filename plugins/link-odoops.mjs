// Workspace packs import `odoops` (types at build time, OdoopsCommand at run time). npm cannot
// link the root package into its own workspaces, so plugins/node_modules/odoops points at this
// checkout: Node's resolution from plugins/<pack>/ finds it, and it is the same odoops (same
// modules, same registries) the CLI runs. A pack installed from npm gets odoops as a peer instead.
import {existsSync, lstatSync, mkdirSync, symlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const link = join(here, 'node_modules', 'odoops')
mkdirSync(dirname(link), {recursive: true})
if (!lstatSync(link, {throwIfNoEntry: false})) symlinkSync('../..', link, 'dir')
if (!existsSync(join(link, 'dist', 'index.d.ts'))) {
  process.stderr.write('odoops is not built: run `npm run build` at the repository root first.\n')
  process.exit(1)
}
