/**
 * A module resolution hook (node:module `register`) that resolves the bare specifier `odoops`
 * to the running CLI's own entry point. A pack's command does `import {OdoopsCommand} from
 * 'odoops'` and must get THIS odoops — the same classes and registries — whatever copy npm
 * put next to the pack (peer dependency semantics, enforced).
 */
let entry = ''

export async function initialize(data: {entry: string}): Promise<void> {
  entry = data.entry
}

type NextResolve = (specifier: string, context: unknown) => Promise<{url: string}>

export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<{url: string}> {
  if (specifier === 'odoops' && entry) return nextResolve(entry, context)
  return nextResolve(specifier, context)
}
