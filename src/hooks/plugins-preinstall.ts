import type {Hook} from '@oclif/core'

/**
 * `odoops plugins install <pack>`: the allowlist (`plugins.allowlist`) is checked before
 * plugin-plugins asks npm for anything; on a terminal (without --yes) the pack's declared
 * contributions are shown from the registry's metadata and the install is confirmed.
 */
const hook: Hook<'plugins:preinstall'> = async function (options) {
  const [{Settings}, {preinstall}, {isOdoopsError}] = await Promise.all([import('../lib/config/settings.js'), import('../lib/plugins/preinstall.js'), import('../lib/errors.js')])
  const settings = new Settings(options.config.configDir)
  const yes = process.env.ODOOPS_PLUGINS_YES === '1'
  const ask = !yes && Boolean(process.stdin.isTTY && process.stdout.isTTY) && !process.env.CI
  try {
    await preinstall(options.plugin, {
      allowlist: settings.get<string[]>('plugins.allowlist') ?? [],
      ask,
      log: (line) => process.stderr.write(`${line}\n`),
      async view(request) {
        const {npmView} = await import('../lib/plugins/npm-view.js')
        return npmView(request, options.config.dataDir)
      },
      async confirm(message) {
        const {confirm} = await import('@inquirer/prompts')
        return confirm({message, default: false})
      },
    })
  } catch (error) {
    if (!isOdoopsError(error)) throw error
    // oclif prints a hook's error and exits with its code: say it as odoops does.
    this.error(`${error.message}\n${error.suggestions.map((s) => `  ${s}`).join('\n')}`, {code: error.code, exit: error.exit})
  }
}

export default hook
