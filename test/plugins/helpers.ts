/**
 * Shared by the pack tests: build the first-party packs (once per mocha run), and link packs
 * into an isolated odoops (ODOOPS_DATA_DIR holds the user plugins' package.json).
 * odoops' own hooks (init, prerun, plugins:preinstall) come from the root package.json.
 */
import {execa} from 'execa'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {PluginDescriptor} from '../../src/lib/plugins/discover.js'
import {ROOT, runCli} from '../helpers/cli.js'

export const PACKS = {
  wholesale: join(ROOT, 'plugins', 'wholesale'),
  ecommerce: join(ROOT, 'plugins', 'ecommerce'),
  broken: join(ROOT, 'test', 'plugins', 'fixtures', 'broken-pack'),
}

const builds = new Map<string, Promise<void>>()

/** `npm run build` in a pack (tsc + oclif manifest), once per run; needs the root dist built. */
export function buildPack(dir: string): Promise<void> {
  let build = builds.get(dir)
  if (!build) {
    build = execa('npm', ['run', 'build'], {cwd: dir, reject: false}).then((r) => {
      if (r.exitCode !== 0) throw new Error(`npm run build in ${dir} failed:\n${r.stdout}\n${r.stderr}`)
    })
    builds.set(dir, build)
  }
  return build
}

/** `odoops plugins link <dir> --no-install` for each dir. */
export async function linkPacks(env: Record<string, string>, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const result = await runCli(['plugins', 'link', dir, '--no-install'], {env})
    if (result.code !== 0) throw new Error(`plugins link ${dir} failed:\n${result.stdout}\n${result.stderr}`)
  }
}

/**
 * The wholesale pack as oclif would describe it once linked, loading its fleet checks from their
 * source (src/checks.ts, through tsx) instead of dist/checks.js: in-process tests need no build.
 */
export function wholesaleDescriptor(): PluginDescriptor {
  const pjson = JSON.parse(readFileSync(join(PACKS.wholesale, 'package.json'), 'utf8'))
  return {name: pjson.name, version: pjson.version, root: PACKS.wholesale, type: 'link', pjson: {...pjson, odoops: {...pjson.odoops, checks: 'src/checks.ts'}}}
}
