import {ExitCode, OdoopsError} from '../errors.js'
import {HOST_NAME_PATTERN} from '../names/host.js'
import type {SshTarget} from '../ssh/target.js'
import type {HostRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'

/** A host name the user gave that is not registered: bad input, exit 2 (docs/exit-codes.md). */
export function hostNotFound(name: string): OdoopsError {
  // Only a valid host name is echoed into a suggested command (`host remove ../../etc` must not suggest `host add ../../etc`).
  const valid = HOST_NAME_PATTERN.test(name)
  const shown = valid ? `"${name}"` : JSON.stringify(name.length > 80 ? name.slice(0, 80) + '…' : name)
  return new OdoopsError('HOST_NOT_FOUND', `No host named ${shown} is registered${valid ? '' : ' (nor can one be: host names are lowercase letters, digits and dashes)'}.`, {
    exit: ExitCode.USAGE,
    suggestions: ['odoops host list shows the registered hosts.', ...(valid ? [`odoops host add ${name} --address <address>`] : [])],
    data: {host: name},
  })
}

export async function getHost(store: Pick<StateStore, 'hosts'>, name: string): Promise<HostRecord> {
  const record = await store.hosts.get(name)
  if (!record) throw hostNotFound(name)
  return record
}

/** The SSH target of a host record, with its jump hosts resolved from the store (cycles refused). */
export async function targetOf(store: Pick<StateStore, 'hosts'>, record: HostRecord, seen: string[] = []): Promise<SshTarget> {
  if (seen.includes(record.id)) {
    throw new OdoopsError('HOST_JUMP_CYCLE', `Jump hosts form a loop: ${[...seen, record.id].join(' → ')}.`, {
      suggestions: [`Re-add one of them without --jump: odoops host remove ${record.id} --confirm ${record.id}, then host add.`],
    })
  }
  const target: SshTarget = {name: record.id, address: record.address, port: record.port, user: record.user, identityFile: record.identityFile, hostKey: record.hostKey}
  if (record.jump) target.jump = await targetOf(store, await getHost(store, record.jump), [...seen, record.id])
  return target
}
