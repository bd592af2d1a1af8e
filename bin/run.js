#!/usr/bin/env -S node --max-semi-space-size=2
// --max-semi-space-size=2 (MiB): backups and restores stream gigabytes through short-lived
// 32 KiB SSH packets; a small young generation collects them sooner, which kept `backup run`'s
// peak RSS 10-15 MB lower on bench/backup.ts (docs/backups.md, "Benchmark"). `env -S` splits the
// line (coreutils 8.30+, every distribution Node 20 runs on).
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
