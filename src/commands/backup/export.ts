import {Args, Flags} from '@oclif/core'
import {OdoopsCommand} from '../../cli/base-command.js'
import {exportOdooZip, type OdooZipExportResult} from '../../lib/backup/index.js'
import {formatBytes} from '../../lib/output/format.js'

export type BackupExportOutput = OdooZipExportResult

export default class BackupExport extends OdoopsCommand<BackupExportOutput> {
  static override usesSsh = true
  static override summary = 'export a backup as a zip that Odoo\'s own database manager restores'
  static override description = `--format odoo-zip writes Odoo's backup layout (odoo/service/db.py dump_db): dump.sql (plain SQL, first), manifest.json (Odoo's fields), filestore/. The stored files stream through a host (the tenant's, or --via) that turns the custom-format dump into plain SQL with pg_restore and decompresses the filestore; the zip is written under <file>.partial and renamed when complete. Note: plain dumps from PostgreSQL's 2025 minor releases on contain \\restrict lines that an older psql cannot restore. See docs/backups.md.`
  static override audited = true
  static override args = {id: Args.string({description: 'backup id (odoops backup list)', required: true})}
  static override flags = {
    format: Flags.string({description: 'export format', options: ['odoo-zip'], default: 'odoo-zip'}),
    output: Flags.string({description: 'zip file to write', required: true}),
    via: Flags.string({description: 'registered host that converts the dump (default: the backed-up tenant\'s host)'}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> acme-20261123T020000Z-3f2a --format odoo-zip --output acme.zip']

  async run(): Promise<BackupExportOutput> {
    const {args, flags} = await this.parse(BackupExport)
    this.handlesInterrupt = true
    this.auditContext = {host: flags.via, details: {backup: args.id, format: flags.format, output: flags.output}}
    const progress = this.ui.progress(`export ${args.id}`)
    try {
      const result = await exportOdooZip({store: await this.state(), dataDir: this.dirs.dataDir, signal: this.abort.signal}, args.id, {output: flags.output, via: flags.via})
      progress.succeed(`${result.file}: ${formatBytes(result.bytes)}, ${result.filestoreFiles} filestore files`)
      return result
    } catch (error) {
      progress.fail('export failed; no file was left')
      throw error
    }
  }
}
