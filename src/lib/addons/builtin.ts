import {existsSync} from 'node:fs'
import {join} from 'node:path'
import type {PackAddonRepo} from './packs.js'

/**
 * The addon repository odoops itself ships (docs/white-label.md): `addons/` of the odoops
 * package, holding `odoops_branding`. It is handled exactly like a pack's repository (source
 * kind `pack`, pack `odoops`), pinned when first needed and again when odoops' version changes;
 * from a source checkout (a `src/` folder beside `addons/`: development) whenever the folder's
 * content changes, as for a linked pack.
 */
export const BUILTIN_ADDONS_REPO = 'odoops'
export const BRANDING_MODULE = 'odoops_branding'

export function builtinAddonRepo(root: string, version: string, name = 'odoops'): PackAddonRepo {
  return {repo: BUILTIN_ADDONS_REPO, pack: name, version, type: existsSync(join(root, 'src')) ? 'link' : 'core', folder: 'addons', dir: join(root, 'addons')}
}
