import {usageError} from '../errors.js'

/**
 * Recovery point objective per plan tier: how old a tenant's newest backup, and its newest
 * VERIFIED backup, may be before `fleet status` calls it a breach. Config `fleet.rpoHours`
 * (default 24) for every tenant, `fleet.rpoByPlan` (`<plan>=<hours>` items) per tier.
 */
export const DEFAULT_RPO_HOURS = 24

export interface RpoConfig {
  defaultHours: number
  byPlan: Record<string, number>
}

export interface ResolvedRpo {
  hours: number
  /** `config` (fleet.rpoHours) or `plan <id>` (fleet.rpoByPlan). */
  source: string
}

/** Parses the `fleet.rpoByPlan` list items (`managed-gold=4`). */
export function parseRpoByPlan(items: readonly string[]): Record<string, number> {
  const byPlan: Record<string, number> = {}
  for (const item of items) {
    const match = /^\s*([^=\s]+)\s*=\s*([1-9]\d{0,5})\s*$/.exec(item)
    if (!match) throw usageError('FLEET_RPO_INVALID', `fleet.rpoByPlan: "${item}" is not <plan>=<hours>.`, ['odoops config set fleet.rpoByPlan managed-gold=4,per-user=24'])
    byPlan[match[1]] = Number(match[2])
  }
  return byPlan
}

export function rpoConfig(get: (key: string) => unknown): RpoConfig {
  const hours = get('fleet.rpoHours')
  const items = get('fleet.rpoByPlan')
  return {
    defaultHours: typeof hours === 'number' && hours > 0 ? hours : DEFAULT_RPO_HOURS,
    byPlan: parseRpoByPlan(Array.isArray(items) ? items.map(String) : []),
  }
}

/** A tenant's RPO: its plan tier's when configured, else the default. */
export function resolveRpo(config: RpoConfig, plan: string | undefined): ResolvedRpo {
  const planHours = plan === undefined ? undefined : config.byPlan[plan]
  return planHours === undefined ? {hours: config.defaultHours, source: 'config'} : {hours: planHours, source: `plan ${plan}`}
}
