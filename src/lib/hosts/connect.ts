import type {SshConnection} from '../ssh/connection.js'
import {sshPool, type SshPool} from '../ssh/pool.js'
import type {StateStore} from '../state/store.js'
import {getHost, targetOf} from './lookup.js'

/**
 * The (pooled) SSH connection to a registered host, with its pinned key and jump hosts.
 * This is how every other part of odoops reaches a host.
 */
export async function connectHost(store: Pick<StateStore, 'hosts'>, name: string, pool: SshPool = sshPool): Promise<SshConnection> {
  const record = await getHost(store, name)
  return pool.connect(await targetOf(store, record))
}
