import type {StateStore} from './store.js'

export interface StateMigrateResult {
  backend: 'local' | 'postgres'
  location: string
  /** Schema version before and after. */
  from: number
  to: number
  /** Versions applied by this run (empty when already current). */
  applied: number[]
}

/**
 * Bring the store's schema to the latest version this odoops knows. The embedded store has
 * had one schema so far (it is written whole on each commit); PostgreSQL runs its migrations.
 */
export async function migrateStore(store: StateStore): Promise<StateMigrateResult> {
  if (store.backend === 'postgres') {
    const {PostgresStore} = await import('./postgres-store.js')
    if (store instanceof PostgresStore) {
      const result = await store.migrate()
      return {backend: 'postgres', location: store.location, ...result}
    }
  }
  const info = await store.info()
  return {backend: store.backend, location: store.location, from: info.schemaVersion, to: info.schemaVersion, applied: []}
}
