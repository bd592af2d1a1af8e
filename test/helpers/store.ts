import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'

/** Runs `work` on the state store a CLI run with this env uses (its ODOOPS_DATA_DIR), closed after. */
export async function withStore<T>(env: Record<string, string>, work: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openStore(parseStateLocation(undefined, env.ODOOPS_DATA_DIR))
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}
