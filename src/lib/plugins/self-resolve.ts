import {register} from 'node:module'

let registered = false

/**
 * From now on, `import … from 'odoops'` in any module (a pack's command) resolves to this
 * running odoops (resolve-hook.ts). Called only before pack code is imported: registering
 * starts Node's module-hooks thread, which plain odoops commands do not need.
 */
export function makeOdoopsResolvable(): void {
  if (registered) return
  registered = true
  const entry = new URL('../../index.js', import.meta.url).href
  register(new URL('./resolve-hook.js', import.meta.url).href, {data: {entry}})
}
