import {Args, Flags} from '@oclif/core'
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {OdoopsCommand} from '../../cli/base-command.js'
import {usageError} from '../../lib/errors.js'
import {ensureDirSync} from '../../lib/fs/ensure-dir.js'
import {packNames, scaffoldPack} from '../../lib/plugins/scaffold.js'

export interface PackNewResult {
  name: string
  namespace: string
  directory: string
  files: string[]
  next: string[]
}

export default class PackNew extends OdoopsCommand<PackNewResult> {
  static override summary = 'scaffold a new vertical pack: a template, a metric, an onboarding step, a command, tests, a README'
  static override description = `Writes <dir>/<name>/ with a package.json holding the oclif and odoops sections, TypeScript sources that build with \`npm run build\` and tests that pass with \`npm test\` as generated. Its devDependency on odoops points at this odoops installation (file:) until you publish against a registry; its peerDependency is the odoops range it supports. See docs/plugins.md.`
  static override args = {name: Args.string({description: 'pack name, e.g. fieldservice (package odoops-pack-fieldservice) or @acme/fieldservice', required: true})}
  static override flags = {dir: Flags.string({description: 'parent directory (default: the current one)'})}
  static override examples = ['<%= config.bin %> <%= command.id %> demo-pack', '<%= config.bin %> <%= command.id %> @acme/fieldservice --dir ~/src --json']

  async run(): Promise<PackNewResult> {
    const {args, flags} = await this.parse(PackNew)
    const names = packNames(args.name)
    const target = resolve(flags.dir ?? '.', names.directory)
    if (existsSync(target) && readdirSync(target).length > 0) throw usageError('PACK_DIR_NOT_EMPTY', `${target} exists and is not empty.`, ['Choose another name or --dir.'])
    // Checked before anything is created (src/lib/fs/ensure-dir.ts: a --dir under /proc would make mkdir loop for ever).
    ensureDirSync(target, {
      writable: true,
      invalid: (problem) => usageError('PACK_DIR_INVALID', `Cannot create the pack in ${target}: ${problem}.`, [`odoops pack new ${args.name} --dir ${join(homedir(), 'src')}`]),
    })
    const files = scaffoldPack({name: args.name, odoopsRoot: this.config.root, odoopsVersion: this.config.version})
    for (const file of files) {
      const path = join(target, file.path)
      mkdirSync(dirname(path), {recursive: true})
      writeFileSync(path, file.content)
    }
    const next = [`cd ${target}`, 'npm install', 'npm run build && npm test', 'odoops plugins link .', 'odoops plugins doctor']
    this.ui.log(`Created ${names.packageName} in ${target} (${files.length} files). Next:\n${next.map((n) => `  ${n}`).join('\n')}`)
    return {name: names.packageName, namespace: names.namespace, directory: target, files: files.map((f) => f.path), next}
  }
}
