/**
 * The domain records kept in the state store. Every record has a string `id` (unique in
 * its collection) and `createdAt`/`updatedAt` ISO times maintained by the store. Later
 * parts of odoops add fields; unknown fields are kept as they are by both backends.
 */
export interface BaseRecord {
  id: string
  createdAt?: string
  updatedAt?: string
}

export interface HostRecord extends BaseRecord {
  /** id is the host name (`^[a-z0-9][a-z0-9-]{0,62}$`). */
  address: string
  port: number
  user: string
  identityFile?: string
  jump?: string
  /** Pinned host key fingerprint, `SHA256:…`. */
  hostKey?: string
  sandbox?: boolean
  facts?: Record<string, unknown>
  /** Shared Odoo services set up by `host prepare`, by series ("17.0"). */
  services?: Record<string, SharedServiceRecord>
  tags?: string[]
  /** The host's ACME account (`host prepare --acme-email`): certbot registered with it, tenants default to `--tls acme`. */
  acme?: HostAcmeRecord
}

/** What `host prepare --acme-email` set up on a host (docs/tls.md). */
export interface HostAcmeRecord {
  email: string
  /** The ACME directory URL the account is registered with. */
  server: string
  /** A CA bundle for the server's TLS certificate was installed (/etc/odoops/acme-ca.pem). */
  caBundle: boolean
  webroot: string
  registeredAt: string
}

/**
 * The shared (multi-tenant) Odoo service of one series on a host, as `host prepare`
 * left it. Secrets (its PostgreSQL password, master password) live in the secrets
 * collection under `host/<host>/<series>/…`, never here.
 */
export interface SharedServiceRecord {
  series: string
  /** `odoo --version` of the installed package, e.g. "17.0-20261120". */
  odooVersion: string
  unit: string
  config: string
  dataDir: string
  logFile: string
  httpPort: number
  geventPort: number
  /** PostgreSQL role the service connects as (never a superuser). */
  role: string
  pgHost: string
  pgPort: number
  /** Databases in the service's db_name (its tenants), in creation order. */
  databases: string[]
  preparedAt: string
  /** The addon releases in its addons_path (`addons deploy`), in addons_path order. */
  addons?: AddonSetEntry[]
  /** The sets deployed before `addons`, oldest first, at most three (for rollback). */
  addonsHistory?: AddonSetEntry[][]
  /** The installed `odoo` package's Debian version (dpkg), e.g. "17.0.20261120"; set by prepare and `release apply`. */
  odooPackage?: string
  /** Package versions the host's Odoo source offers, newest last, as `release plan` last read them. */
  odooAvailable?: {versions: string[]; checkedAt: string}
}

/** One addon release deployed to a service: the repository and its release's SHA-256. */
export interface AddonSetEntry {
  repo: string
  sha256: string
}

export type TenantMode = 'shared' | 'dedicated'
export type TenantState = 'creating' | 'active' | 'stopped' | 'failed' | 'removing' | 'moving'

export interface TenantRecord extends BaseRecord {
  /** id is the tenant slug. */
  host: string
  mode: TenantMode
  domain: string
  /** More names the tenant's vhost serves (`tenant create --alias`); on its ACME certificate too. */
  aliases?: string[]
  series: string
  database: string
  state: TenantState
  customer?: string
  plan?: string
  tags?: string[]
  modules?: string[]
  lang?: string
  country?: string
  /** Dedicated tenants: their own service. Shared tenants: the host's shared service. */
  service?: TenantServiceInfo
  tls?: {certificate: string; key: string; selfSigned: boolean; /** Issued through the host's ACME account (certbot lineage `acme.certName`). */ acme?: boolean}
  /** ACME certificate of the tenant (`--tls acme`): its certbot lineage and the last attempt. */
  acme?: TenantAcmeRecord
  /** The recorded plan of the last create/remove/update run (see src/lib/plan). */
  operation?: TenantOperation
  /** Login of the user with xml id base.user_admin, when not `admin` (restored databases). */
  adminLogin?: string
  /** Dedicated tenants: the addon releases in its service's addons_path (`addons deploy`). */
  addons?: AddonSetEntry[]
  /** Dedicated tenants: the sets deployed before `addons`, oldest first, at most three. */
  addonsHistory?: AddonSetEntry[][]
  /** Upgrades of its modules by `addons deploy --upgrade`, newest last, at most three: the safety backup `addons rollback --restore` restores. */
  addonsUpgrades?: AddonUpgradeRecord[]
  /** The addon repositories it asked for at creation (`--addons`, its template's `addons:`), in addons_path order. */
  addonRepos?: string[]
  /** Names it had before `tenant set-domain`: answered with a 301 to its domain until `until` (docs/tls.md). */
  redirects?: TenantRedirectRecord[]
  /** An unfinished `tenant set-domain`: what it changes, kept until its last step is done (a re-run continues it). */
  domainChange?: TenantDomainChange
  [key: string]: unknown
}

/** Old names of a tenant, redirected (301, same path) to its domain over http and https until `until`. */
export interface TenantRedirectRecord {
  names: string[]
  /** End of the grace period (ISO); a later `tenant set-domain` removes it after that. */
  until: string
  /** The certificate the old names were served with, kept for the redirect over https. */
  certificate: string
  key: string
  /** The old ACME lineage (certbot keeps renewing it until the redirect is removed). */
  certName?: string
}

/** The plan of a `tenant set-domain`, recorded before its first step. */
export interface TenantDomainChange {
  from: {domain: string; aliases: string[]; database: string}
  to: {domain: string; aliases: string[]; database: string}
  tls: 'acme' | 'self-signed'
  /** acme: the new certificate's lineage (`<slug>.<n>`; the old one keeps serving the redirect). */
  certName?: string
  /** The old names' redirect ends then (none when --grace-days 0). */
  redirectUntil?: string
}

/** A tenant's ACME certificate: `pending` before the first attempt, then `issued` or `failed` (with the check that failed). */
export interface TenantAcmeRecord {
  /** certbot's `--cert-name` (the slug): /etc/letsencrypt/live/<certName>/. */
  certName: string
  domains: string[]
  status: 'pending' | 'issued' | 'failed'
  /** The check that failed: dns (from this machine), host-dns (from the host), http (port 80 challenge path), issuance (certbot). */
  failedCheck?: 'dns' | 'host-dns' | 'http' | 'issuance'
  error?: string
  lastAttemptAt?: string
  issuedAt?: string
  /** The issued certificate's end of validity. */
  notAfter?: string
  serial?: string
}

/** One `-u` of a tenant's modules after a new release of a repository was deployed. */
export interface AddonUpgradeRecord {
  repo: string
  /** The release whose modules were upgraded. */
  release: string
  /** The release the service ran before, when known. */
  previous?: string
  modules: string[]
  /** The verified safety backup taken just before the `-u`. */
  backup: string
  at: string
  outcome: 'upgraded' | 'failed'
}

export interface TenantServiceInfo {
  unit: string
  config: string
  dataDir: string
  httpPort: number
  geventPort: number
  role: string
  /** Dedicated only: the size that set workers and memory limits. */
  size?: string
}

export interface TenantOperation {
  kind: 'create' | 'remove' | 'update' | 'move' | 'set-domain'
  steps: {name: string; state: string; change?: string; startedAt?: string; durationMs?: number; error?: string; detail?: string}[]
  startedAt: string
  finishedAt?: string
  /** Step that failed (or was running when the process died). */
  failedStep?: string
  error?: string
}

export interface BackupTargetRecord extends BaseRecord {
  /** `local` or `sftp` today; a store may hold a type a newer odoops added (openTarget refuses it). */
  type: string
  path: string
  host?: string
  [key: string]: unknown
}

export interface BackupRecord extends BaseRecord {
  tenant: string
  target: string
  status: string
  [key: string]: unknown
}

export interface UsageSnapshotRecord extends BaseRecord {
  /** id is `<tenant>/<date>/<metric>` so a re-run of the same day replaces. */
  tenant: string
  date: string
  metric: string
  value: number
  [key: string]: unknown
}

export interface PlanRecord extends BaseRecord {
  version: number
  kind: string
  [key: string]: unknown
}

export interface InvoiceRecord extends BaseRecord {
  customer: string
  period: string
  status: string
  [key: string]: unknown
}

export interface OnboardingRunRecord extends BaseRecord {
  template: string
  state: string
  [key: string]: unknown
}

/** A schedule stored by `schedule apply` (id `default`): the parsed file and its source text. */
export interface ScheduleRecord extends BaseRecord {
  /** The schedule as parsed and validated (src/lib/schedule/types.ts ScheduleFile). */
  schedule: Record<string, unknown>
  /** The YAML applied, kept for `schedule list --source`. */
  text?: string
  file?: string
  [key: string]: unknown
}

/** Where an addon repository comes from (src/lib/addons/sources). Credentials never stored. */
export type AddonSource =
  | {kind: 'git'; url: string; ref?: string}
  | {kind: 'dir'; path: string}
  | {kind: 'archive'; path: string}
  /** Shipped by an installed pack (`odoops.addons` in its package.json): pinned from `<pack root>/<folder>` at that version. */
  | {kind: 'pack'; pack: string; version: string; folder: string}

/** One Odoo module of a pinned release, from its `__manifest__.py` (read, never executed). */
export interface AddonModuleInfo {
  name: string
  title: string
  version?: string
  license: string
  depends: string[]
  installable: boolean
  externalPython: string[]
  externalBin: string[]
  /** Why the manifest could not be read (the module is then only a name). */
  problem?: string
}

/**
 * A pinned, immutable release of an addon repository: a canonical tar on the operator's
 * machine named by its SHA-256 (which is the release's identity), plus the git commit for
 * git sources.
 */
export interface AddonReleaseRecord {
  sha256: string
  pinnedAt: string
  commit?: string
  /** The ref as asked (branch, tag, commit) when it was pinned. */
  ref?: string
  sizeBytes: number
  fileCount: number
  modules: AddonModuleInfo[]
}

/** An addon repository (`addons repo add`): id is its name. Releases oldest first; `current` is what deploys. */
export interface AddonRepoRecord extends BaseRecord {
  source: AddonSource
  series?: string
  releases: AddonReleaseRecord[]
  /** SHA-256 of the release `addons deploy` sends. */
  current: string
  [key: string]: unknown
}

/** An encrypted secret (`value` is SecretBox output, never plain text). */
export interface SecretRecord extends BaseRecord {
  value: string
}

export interface AuditEvent {
  /** Assigned by the store: monotonic within a store. */
  seq?: number
  time: string
  user: string
  machine: string
  command: string
  args: string[]
  outcome: 'ok' | 'error' | 'partial' | 'interrupted'
  exitCode: number
  durationMs: number
  tenant?: string
  host?: string
  error?: string
  details?: Record<string, unknown>
}

export interface LockInfo {
  key: string
  owner: string
  pid: number
  machine: string
  acquiredAt: string
  expiresAt: string
}

/**
 * A release (`release plan`): the Odoo package update of one series on some hosts, with what
 * rehearsal and rollout recorded. Its shape is owned by src/lib/release/record.ts.
 */
export interface ReleaseRecord extends BaseRecord {
  series: string
  state: string
  hosts: unknown[]
  [key: string]: unknown
}

/** Collections of plain records, by name. Adding one here adds it to both backends and to export/import. */
export interface CollectionTypes {
  hosts: HostRecord
  tenants: TenantRecord
  backupTargets: BackupTargetRecord
  backups: BackupRecord
  usageSnapshots: UsageSnapshotRecord
  plans: PlanRecord
  invoices: InvoiceRecord
  onboardingRuns: OnboardingRunRecord
  secrets: SecretRecord
  schedules: ScheduleRecord
  addonRepos: AddonRepoRecord
  releases: ReleaseRecord
}
export type CollectionName = keyof CollectionTypes

export const COLLECTIONS: readonly CollectionName[] = [
  'hosts',
  'tenants',
  'backupTargets',
  'backups',
  'usageSnapshots',
  'plans',
  'invoices',
  'onboardingRuns',
  'secrets',
  'schedules',
  'addonRepos',
  'releases',
]
