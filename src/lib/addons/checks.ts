import type {AddonModuleInfo, AddonReleaseRecord} from '../state/records.js'
import {checkModuleVersion} from './manifest.js'

/**
 * The checks run before any addon release reaches a host, as one report: every problem of
 * every module at once, so a partner fixes a repository in one round. Errors stop a deploy
 * (nothing changes on any host); warnings are shown and do not.
 */
export type AddonCheck = 'manifest' | 'installable' | 'version' | 'depends' | 'duplicate' | 'external-python'

export interface AddonProblem {
  severity: 'error' | 'warning'
  check: AddonCheck
  repo: string
  module?: string
  message: string
  /** What to do about it. */
  fix?: string
}

export interface ReleaseToCheck {
  repo: string
  release: Pick<AddonReleaseRecord, 'modules'>
}

export interface CheckContext {
  /** The Odoo series the modules are for (the service's, or the repository's `--series`). */
  series?: string
  /**
   * Modules of the installed Odoo itself (read from the host). Without them `depends` is
   * checked only between the repositories given, and names found nowhere are reported as
   * warnings ("checked again at deploy").
   */
  coreModules?: ReadonlySet<string>
  /** Python modules the host cannot import, by name (asked of the host at deploy). */
  missingPython?: ReadonlySet<string>
}

/** Check the modules of releases that are to be deployed together. */
export function checkReleases(releases: ReleaseToCheck[], context: CheckContext = {}): AddonProblem[] {
  const problems: AddonProblem[] = []
  const definedIn = new Map<string, string[]>()
  for (const {repo, release} of releases) {
    for (const module of release.modules) definedIn.set(module.name, [...(definedIn.get(module.name) ?? []), repo])
  }
  for (const [module, repos] of definedIn) {
    if (repos.length > 1) {
      problems.push({
        severity: 'error',
        check: 'duplicate',
        repo: repos[0],
        module,
        message: `module ${module} is defined in more than one repository (${repos.join(', ')}); Odoo would load whichever comes first in addons_path`,
        fix: 'Deploy only one of these repositories, or remove the module from all but one.',
      })
    }
  }
  for (const [module, repos] of definedIn) {
    if (!context.coreModules?.has(module)) continue
    problems.push({
      severity: 'error',
      check: 'duplicate',
      repo: repos[0],
      module,
      message: `module ${module} is also one of Odoo's own modules; Odoo's addons come first in addons_path, so this one would never be loaded`,
      fix: `Rename the module (its folder and every reference to it), or leave it out.`,
    })
  }
  for (const {repo, release} of releases) {
    for (const module of release.modules) problems.push(...checkModule(repo, module, definedIn, context))
  }
  return problems
}

function checkModule(repo: string, module: AddonModuleInfo, definedIn: Map<string, string[]>, context: CheckContext): AddonProblem[] {
  const at = {repo, module: module.name}
  if (module.problem) {
    return [{severity: 'error', check: 'manifest', ...at, message: `${module.name}/__manifest__.py cannot be read: ${module.problem}`, fix: 'Fix the manifest: it must be one Python dict literal (it is read, never executed).'}]
  }
  // Odoo skips a module marked not installable; it is shipped but can't be installed.
  if (!module.installable) return [{severity: 'warning', check: 'installable', ...at, message: `${module.name} is marked installable: False; it is deployed but Odoo will not install it`}]
  const problems: AddonProblem[] = []
  if (context.series) {
    const version = checkModuleVersion(module.version, context.series)
    if (!version.ok) {
      problems.push({
        severity: 'error',
        check: 'version',
        ...at,
        message: `${module.name} version ${module.version ?? '(none)'} ${version.problem ?? 'does not fit'} (the service runs ${context.series})`,
        fix: `Deploy the repository's ${context.series} branch or release, or fix the module's version.`,
      })
    }
  }
  for (const dependency of module.depends) {
    if (definedIn.has(dependency) || context.coreModules?.has(dependency)) continue
    if (context.coreModules) {
      problems.push({
        severity: 'error',
        check: 'depends',
        ...at,
        message: `${module.name} depends on ${dependency}, which is neither in Odoo ${context.series ?? ''} nor in the repositories deployed with it`.replace('  ', ' '),
        fix: `Deploy the repository that holds ${dependency} in the same command (e.g. the OCA repository it comes from).`,
      })
    } else if (!looksCore(dependency)) {
      problems.push({severity: 'warning', check: 'depends', ...at, message: `${module.name} depends on ${dependency}, not in this repository: it must come from Odoo itself or another repository (checked against the host at deploy)`})
    }
  }
  for (const name of module.externalPython) {
    if (context.missingPython?.has(name)) {
      problems.push({
        severity: 'error',
        check: 'external-python',
        ...at,
        message: `${module.name} needs the Python module ${name}, which the host's Odoo cannot import`,
        fix: `Install it on the host: apt-get install ${debianPackageFor(name)} (or deploy without ${module.name}).`,
      })
    }
  }
  return problems
}

/** Without the host's list: names every series ships, so a warning stays meaningful. */
const ALWAYS_CORE = new Set(['base', 'web', 'mail', 'bus', 'base_setup', 'base_import', 'product', 'uom', 'account', 'sale', 'sale_management', 'purchase', 'stock', 'mrp', 'hr', 'crm', 'contacts', 'portal', 'website', 'point_of_sale', 'project', 'analytic', 'resource', 'digest', 'utm', 'sales_team', 'payment'])

function looksCore(name: string): boolean {
  return ALWAYS_CORE.has(name)
}

/**
 * The Debian package that provides a Python import name. Debian names packages after the
 * PyPI project (python3-<project>, lowercase, `_` → `-`); the import names that differ from
 * their project are listed (Debian Python Policy, "Module package names").
 */
const DEBIAN_PACKAGE_OF_IMPORT: Record<string, string> = {
  PIL: 'python3-pil',
  yaml: 'python3-yaml',
  dateutil: 'python3-dateutil',
  OpenSSL: 'python3-openssl',
  ldap: 'python3-ldap',
  Crypto: 'python3-pycryptodome',
  Cryptodome: 'python3-pycryptodome',
  jwt: 'python3-jwt',
  magic: 'python3-magic',
  serial: 'python3-serial',
  usb: 'python3-usb',
  bs4: 'python3-bs4',
  docx: 'python3-docx',
  pptx: 'python3-pptx',
  zmq: 'python3-zmq',
  git: 'python3-git',
  stdnum: 'python3-stdnum',
  vobject: 'python3-vobject',
}

export function debianPackageFor(importName: string): string {
  const top = importName.split('.')[0]
  return DEBIAN_PACKAGE_OF_IMPORT[top] ?? `python3-${top.toLowerCase().replaceAll('_', '-')}`
}

export function hasErrors(problems: AddonProblem[]): boolean {
  return problems.some((problem) => problem.severity === 'error')
}
