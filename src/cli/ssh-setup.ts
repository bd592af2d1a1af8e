import type {Settings} from '../lib/config/settings.js'
import type {Ui} from '../lib/output/ui.js'
import {sshOptionsFromSettings} from '../lib/ssh/options.js'
import {sshPool} from '../lib/ssh/pool.js'
import type {HostKeyDecision} from '../lib/hosts/inventory.js'

/**
 * What host commands share: SSH options from settings, prompts only on a terminal
 * (passphrase of an encrypted key, first-contact host key), and the pool to close.
 */
export function configureSshForCommand(settings: Settings, ui: Ui): void {
  sshPool.configure({
    ...sshOptionsFromSettings(settings),
    passphrase: ui.interactive ? (file) => ui.password({message: `Passphrase for ${file}`, flag: 'ssh-agent (ssh-add the key first)'}) : undefined,
  })
}

/** Interactive host key confirmation, or undefined when nobody can answer. */
export function hostKeyConfirmer(ui: Ui): HostKeyDecision['confirmKey'] {
  if (!ui.interactive) return undefined
  return async ({host, address, fingerprint, previous}) => {
    if (previous) ui.log(`The host key of ${host} (${address}) changed.\n  pinned: ${previous}\n  now:    ${fingerprint}`)
    else ui.log(`The host key of ${host} (${address}) is\n  ${fingerprint}\nCompare it with the host's own: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`)
    return ui.confirm({message: previous ? 'Pin the new key?' : 'Trust this key and pin it?', default: false, assumeYes: false})
  }
}
