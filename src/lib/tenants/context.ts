import type {RestoreSource} from '../backup/restore-source.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import type {HostRecord, SharedServiceRecord, TenantRecord} from '../state/records.js'
import type {StateStore} from '../state/store.js'
import type {StepObserver} from '../steps/runner.js'

/** What tenant operations need from their caller (a command, a test, a plugin). */
export interface TenantEnv {
  store: StateStore
  box: SecretBox
  signal?: AbortSignal
  observer?: StepObserver
  /** The SSH connection of a registered host (default: the pooled `connectHost`). */
  connect?: (host: string) => Promise<SshConnection>
  /** odoops' data directory: the release tars of addon repositories (tenants created with `--addons`). */
  dataDir?: string
  /** Where a restored tenant's data comes from (`backup restore`, `backup import`, `tenant move`). */
  restoreSource?: RestoreSource
  /** The DNS server ACME checks ask (setting `acme.resolver`), on this machine and on the host; default: the system resolvers. */
  acmeResolver?: {address: string; port: number}
}

/** What every step of a tenant plan sees. `tenant` is re-read after each record change. */
export interface TenantStepContext {
  env: TenantEnv
  conn: SshConnection
  host: HostRecord
  tenant: TenantRecord
  /** The host's shared service of the tenant's series (shared tenants only). */
  shared?: SharedServiceRecord
  /** Where steps record changes of `tenant` (default: its store record; see save-tenant.ts). */
  saveTenant?: (change: Partial<TenantRecord>) => Promise<TenantRecord>
}
