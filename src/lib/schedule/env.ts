import type {RegisteredPackCheck} from '../fleet/check-registry.js'
import type {TenantOdooOpener} from '../fleet/pack-checks.js'
import type {ReleaseOps} from '../release/ops.js'
import type {SecretBox} from '../secrets/secret-box.js'
import type {SshConnection} from '../ssh/connection.js'
import type {StateStore} from '../state/store.js'

/** What jobs need from their surroundings (a command builds it; tests build their own). */
export interface JobEnv {
  store: StateStore
  dataDir: string
  /** A setting (backup.retention, partner.*, backup.defaultTarget…); undefined when unset. */
  setting: (key: string) => unknown
  /** Opened on first use (metering needs tenants' database passwords; channels may name vault secrets). */
  box?: () => Promise<SecretBox>
  connect?: (host: string) => Promise<SshConnection>
  now?: () => Date
  /** `status` jobs: the packs' fleet checks (default: those the loaded packs registered). */
  packChecks?: readonly RegisteredPackCheck[]
  /** `status` jobs: how a check's admin session is opened (default: the stored credentials over `connect`). */
  tenantOdoo?: TenantOdooOpener
  /** `release` jobs: what a rollout does on hosts (default: over SSH; tests give an in-memory host). */
  releaseOps?: ReleaseOps
}
