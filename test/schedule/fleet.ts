import {openStore, parseStateLocation} from '../../src/lib/state/open.js'
import type {StateStore} from '../../src/lib/state/store.js'
import type {AuditEvent, TenantRecord} from '../../src/lib/state/records.js'

/** Opens the store a CLI run with this env (and optional --state) uses. */
export function storeOf(env: Record<string, string>, state?: string): Promise<StateStore> {
  return openStore(parseStateLocation(state ?? env.ODOOPS_STATE, env.ODOOPS_DATA_DIR))
}

/** `count` tenant records (no host behind them: for jobs that work on records only). */
export async function seedTenants(store: StateStore, prefix: string, count: number, extra: Partial<TenantRecord> = {}): Promise<string[]> {
  const slugs: string[] = []
  for (let i = 1; i <= count; i++) {
    const slug = `${prefix}${String(i).padStart(2, '0')}`
    await store.tenants.put({id: slug, host: 'h1', mode: 'shared', domain: `${slug}.example.test`, series: '17.0', database: slug, state: 'active', ...extra})
    slugs.push(slug)
  }
  return slugs
}

/** The `schedule:job` audit events (one per (job, tenant, run) that executed). */
export async function jobEvents(store: StateStore): Promise<AuditEvent[]> {
  return store.audit.list({command: 'schedule:job'})
}

/** Parses JSON lines (ignores anything else). */
export function jsonLines(text: string): Record<string, any>[] {
  const out: Record<string, any>[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // a torn line at a kill
    }
  }
  return out
}
