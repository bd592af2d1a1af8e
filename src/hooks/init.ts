import type {Hook} from '@oclif/core'

/**
 * Runs before every command (and before `--help`), so it only looks at the command id:
 * - `plugins install --yes`: plugin-plugins takes every argument as a package name, so the
 *   flag is taken out here and handed to the plugins:preinstall hook;
 * - a command of a plugin pack: `import 'odoops'` in the pack must resolve to this odoops
 *   (resolve-hook.ts), registered only then.
 */
const hook: Hook<'init'> = async function (options) {
  const {id, argv} = options
  if (id === 'plugins:install' || id === 'plugins:add') {
    for (const flag of ['--yes', '-y']) {
      const index = argv.indexOf(flag)
      if (index !== -1) {
        argv.splice(index, 1)
        process.env.ODOOPS_PLUGINS_YES = '1'
      }
    }
    return
  }
  if (!id) return
  const command = options.config.findCommand(id)
  if (!command?.pluginName || command.pluginName === options.config.name) return
  const plugin = options.config.plugins.get(command.pluginName)
  if ((plugin?.pjson as {odoops?: unknown} | undefined)?.odoops === undefined) return
  const {makeOdoopsResolvable} = await import('../lib/plugins/self-resolve.js')
  makeOdoopsResolvable()
}

export default hook
