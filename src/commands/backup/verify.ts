import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {selectBackupsToVerify, verifyBackup, verifyErrorSummary, type VerifyResult} from '../../lib/backup/verify.js'
import {usageError} from '../../lib/errors.js'
import {formatDuration} from '../../lib/output/format.js'

export interface BackupVerifyItem {
  id: string
  /** The verdict, when the verification ran to the end. */
  result?: VerifyResult
  /** What kept the verification from running (nothing was recorded on the backup). */
  error?: {code: string; message: string}
}

export interface BackupVerifyOutput {
  results: BackupVerifyItem[]
  verified: number
  failed: number
  errors: number
}

export default class BackupVerify extends OdoopsCommand<BackupVerifyOutput> {
  static override usesSsh = true
  static override summary = 'prove backups restorable: checksums, scratch restore, counts, modules, filestore (--quick: checksums and catalog only)'
  static override description = `Never touches a live database. Every stored file is re-read at the target and checked against its size and SHA-256, and every filestore blob against its SHA-1 (a corrupt one is reported with every backup that needs it); then, on the tenant's host (or --on <host>), the dump is restored with pg_restore --exit-on-error into a scratch database odoops_verify_<random> (created from template0) and the filestore unpacked into a scratch directory; row counts, installed modules and the filestore (file count and bytes, every attachment's file present with its size, every file's SHA-1 equal to its name) are compared with the manifest. The scratch database and directory are removed whatever happens. --quick reads the backup on its target only, without a host: the manifest against the catalog entry (its own checksum, id, tenant, files, counts), every stored file against its size and SHA-256, and every blob the backup lists present with its size; it finds a damaged or missing file, not a dump that will not restore. The verdict is recorded on the backup (backup show / list) with its tier: a full verification, or a failed quick check, is the backup's verification; a passing quick check does not replace a full one. Exit 1 when any backup fails or could not be verified. See docs/backups.md.`
  static override audited = true
  static override args = {id: Args.string({description: 'backup id (odoops backup list)'})}
  static override flags = {
    latest: Flags.string({description: 'the newest backup of this tenant', exclusive: ['all']}),
    all: Flags.boolean({description: 'the newest backup of every tenant'}),
    on: Flags.string({description: 'registered host to restore on (default: the tenant\'s host)', exclusive: ['quick']}),
    quick: Flags.boolean({description: 'checksums and catalog on the target only: no host, no restore'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> acme-20250101T020000Z-3f2a',
    '<%= config.bin %> <%= command.id %> --latest acme --on verify1',
    '<%= config.bin %> <%= command.id %> --all --json',
    '<%= config.bin %> <%= command.id %> --all --quick',
  ]

  async run(): Promise<BackupVerifyOutput> {
    const {args, flags} = await this.parse(BackupVerify)
    const chosen = [args.id !== undefined, flags.latest !== undefined, flags.all].filter(Boolean).length
    if (chosen !== 1) throw usageError('BACKUP_SELECTION', 'Which backups? Give one id, --latest <slug> or --all.', ['odoops backup verify <id>', 'odoops backup verify --latest acme', 'odoops backup verify --all'])
    this.handlesInterrupt = true
    const store = await this.state()
    const ids = await selectBackupsToVerify(store, args.id ? {id: args.id} : flags.latest ? {latest: flags.latest} : {all: true})
    const tier = flags.quick ? 'quick' : 'full'
    this.auditContext = {tenant: flags.latest, host: flags.on, details: {backups: ids, tier}}
    const results: BackupVerifyItem[] = []
    for (const id of ids) {
      if (this.abort.signal.aborted) break
      const progress = this.ui.progress(`verify ${id}`)
      try {
        const result = await verifyBackup({store, dataDir: this.dirs.dataDir, signal: this.abort.signal}, id, {host: flags.on, tier})
        if (result.status === 'verified') progress.succeed(result.host ? `verified on ${result.host} in ${formatDuration(result.durationMs)}` : `checked (quick) in ${formatDuration(result.durationMs)}`)
        else progress.fail(`FAILED: ${result.reason}`)
        results.push({id, result})
      } catch (error) {
        if (this.abort.signal.aborted) throw error
        const summary = verifyErrorSummary(error)
        progress.fail(`not verified: ${summary.code}: ${summary.message}`)
        results.push({id, error: summary})
      }
    }
    const verified = results.filter((r) => r.result?.status === 'verified').length
    const failed = results.filter((r) => r.result?.status === 'failed').length
    const errors = results.filter((r) => r.error).length
    this.ui.log(`${verified} verified, ${failed} failed, ${errors} not verified.`)
    this.auditContext.details = {...this.auditContext.details, verified, failed, errors}
    if (failed + errors > 0) this.reportProblems('BACKUP_NOT_VERIFIED', `${failed + errors} of ${results.length} backup(s) did not verify: see the lines above; a failed one cannot be restored as it is.`)
    return {results, verified, failed, errors}
  }
}
