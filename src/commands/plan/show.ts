import {Args, Flags} from '@oclif/core'
import {stringify} from 'yaml'
import {OdoopsCommand} from '../../cli/base-command.js'
import type {PlanDefinition} from '../../lib/billing/plans/types.js'
import {getPlanVersion, planVersions} from '../../lib/billing/plans/store.js'

export interface PlanShowResult {
  plan: string
  version: number
  versions: number[]
  appliedAt: string
  digest: string
  source?: string
  definition: PlanDefinition
}

export default class PlanShow extends OdoopsCommand<PlanShowResult> {
  static override summary = 'show a stored plan (latest version, or --version N)'
  static override args = {id: Args.string({description: 'plan id', required: true})}
  static override flags = {version: Flags.integer({description: 'a stored version (default: the latest)', min: 1})}
  static override examples = ['<%= config.bin %> <%= command.id %> business-unlimited', '<%= config.bin %> <%= command.id %> business-unlimited --version 1 --json']

  async run(): Promise<PlanShowResult> {
    const {args, flags} = await this.parse(PlanShow)
    const store = await this.state()
    const record = await getPlanVersion(store, args.id, flags.version)
    const versions = (await planVersions(store, args.id)).map((v) => v.version)
    this.ui.log(`# plan ${record.plan} version ${record.version} of ${versions.length}, applied ${record.appliedAt}${record.source ? ` from ${record.source}` : ''}`)
    this.ui.log(stringify(record.definition).trimEnd())
    return {plan: record.plan, version: record.version, versions, appliedAt: record.appliedAt, digest: record.digest, ...(record.source ? {source: record.source} : {}), definition: record.definition}
  }
}
