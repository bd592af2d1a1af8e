import type {PackCheck} from '../plugins/api.js'

/**
 * The fleet checks packs contribute, where `fleet status` and the schedule's `status` jobs
 * find them (as the meter finds pack metrics in its registry). Filled when a command's packs
 * are loaded (src/lib/plugins/load.ts); nothing here imports pack code.
 */

/** Per check, unless it asks for another (PackCheck.timeoutMs). */
export const DEFAULT_PACK_CHECK_TIMEOUT_MS = 20_000
export const MAX_PACK_CHECK_TIMEOUT_MS = 120_000

/** A pack's check as the fleet runs it: named `<namespace>/<name>`, its defaults filled in. */
export interface RegisteredPackCheck {
  /** `<namespace>/<name>`, e.g. `wholesale/modules`. */
  name: string
  /** The package that contributed it (e.g. `@odoops/wholesale`): failures name it. */
  pack: string
  namespace: string
  description: string
  severity: 'warning' | 'breach'
  timeoutMs: number
  /** Template names or patterns (`<namespace>/*`, `*`) whose tenants it checks. */
  templates: readonly string[]
  check: PackCheck['check']
}

/** Whether a check concerns a tenant onboarded with `template` (null: created without one; only `*` checks apply). */
export function checkAppliesTo(check: Pick<RegisteredPackCheck, 'templates'>, template: string | null): boolean {
  return check.templates.some((t) => t === '*' || (template !== null && (t === template || (t.endsWith('/*') && template.startsWith(t.slice(0, -1))))))
}

/** The check with its defaults: the pack's own templates, severity warning, the default timeout (capped). */
export function registeredCheck(pack: {name: string; namespace: string}, check: PackCheck): RegisteredPackCheck {
  const timeout = typeof check.timeoutMs === 'number' && Number.isFinite(check.timeoutMs) && check.timeoutMs > 0 ? Math.min(check.timeoutMs, MAX_PACK_CHECK_TIMEOUT_MS) : DEFAULT_PACK_CHECK_TIMEOUT_MS
  return {
    name: `${pack.namespace}/${check.name}`,
    pack: pack.name,
    namespace: pack.namespace,
    description: check.description,
    severity: check.severity === 'breach' ? 'breach' : 'warning',
    timeoutMs: timeout,
    templates: check.templates ? [...check.templates] : [`${pack.namespace}/*`],
    check: (ctx) => check.check(ctx),
  }
}

export class PackCheckRegistry {
  private readonly checks = new Map<string, {root: string; check: RegisteredPackCheck}>()

  /**
   * Registers a pack's check; the same pack (by root) registering it again is a no-op, so
   * loading a pack twice is harmless. Throws when another pack holds the name.
   */
  register(pack: {name: string; namespace: string; root: string}, check: PackCheck): RegisteredPackCheck {
    const entry = registeredCheck(pack, check)
    const existing = this.checks.get(entry.name)
    if (existing) {
      if (existing.root === pack.root) return existing.check
      throw new Error(`check ${entry.name} is already registered by ${existing.check.pack}`)
    }
    this.checks.set(entry.name, {root: pack.root, check: entry})
    return entry
  }

  /** In registration order (packs in discovery order, each pack's checks in its export order). */
  list(): RegisteredPackCheck[] {
    return [...this.checks.values()].map((e) => e.check)
  }

  clear(): void {
    this.checks.clear()
  }
}

/** The process-wide registry the commands use (tests build their own or clear this one). */
export const packCheckRegistry = new PackCheckRegistry()
