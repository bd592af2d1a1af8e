#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ through oclif's manifest.
// @oclif/core checks its own engines range with semver when imported, which costs about
// 100 ms of every start-up (bench/startup.ts); our package.json engines already guard the
// Node version. The variable must be set before the import, hence the dynamic import.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
// Linked packs (odoops plugins link) are ESM; oclif warns on every start that it cannot
// transpile them, which they never need (they ship compiled dist/).
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1'
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
