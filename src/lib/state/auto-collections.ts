import {COLLECTIONS, type CollectionName, type CollectionTypes} from './records.js'
import type {Collection, Collections, StateTx} from './store.js'

/** The reads of one collection, as a backend does them outside a transaction. */
export type CollectionReads<K extends CollectionName> = Pick<Collection<CollectionTypes[K]>, 'get' | 'list' | 'count'>

/**
 * What both backends offer outside an explicit transaction: every collection, read the
 * backend's own way (`reads`), each write run in a transaction of its own.
 */
export abstract class AutoCollections implements Collections {
  readonly hosts!: Collection<CollectionTypes['hosts']>
  readonly tenants!: Collection<CollectionTypes['tenants']>
  readonly backupTargets!: Collection<CollectionTypes['backupTargets']>
  readonly backups!: Collection<CollectionTypes['backups']>
  readonly usageSnapshots!: Collection<CollectionTypes['usageSnapshots']>
  readonly plans!: Collection<CollectionTypes['plans']>
  readonly invoices!: Collection<CollectionTypes['invoices']>
  readonly onboardingRuns!: Collection<CollectionTypes['onboardingRuns']>
  readonly secrets!: Collection<CollectionTypes['secrets']>
  readonly schedules!: Collection<CollectionTypes['schedules']>
  readonly addonRepos!: Collection<CollectionTypes['addonRepos']>
  readonly releases!: Collection<CollectionTypes['releases']>

  protected constructor() {
    for (const name of COLLECTIONS) {
      ;(this as unknown as Record<string, unknown>)[name] = this.autoCollection(name)
    }
  }

  abstract transaction<R>(fn: (tx: StateTx) => Promise<R>): Promise<R>

  protected abstract reads<K extends CollectionName>(name: K): CollectionReads<K>

  private autoCollection<K extends CollectionName>(name: K): Collection<CollectionTypes[K]> {
    const inTx = <R>(fn: (c: Collection<CollectionTypes[K]>) => Promise<R>) => this.transaction((tx) => fn(tx[name] as Collection<CollectionTypes[K]>))
    return {
      get: (id) => this.reads(name).get(id),
      list: (filter) => this.reads(name).list(filter),
      count: (filter) => this.reads(name).count(filter),
      insert: (record) => inTx((c) => c.insert(record)),
      put: (record) => inTx((c) => c.put(record)),
      update: (id, change) => inTx((c) => c.update(id, change)),
      delete: (id) => inTx((c) => c.delete(id)),
    }
  }
}
