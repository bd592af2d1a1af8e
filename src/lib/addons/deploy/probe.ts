import {OdoopsError} from '../../errors.js'
import type {SshConnection} from '../../ssh/connection.js'
import {command, shell} from '../../ssh/quote.js'
import {HOST_ADDONS_ROOT} from './layout.js'

/**
 * What a deploy needs to know of a host, asked in one round trip by a fixed Python script run
 * as the `odoo` user with the host's python3 (the interpreter and user Odoo runs with): where
 * the `odoo` package is and the modules of its addons directories, which Python modules of
 * `external_dependencies` cannot be found, and the release directories already there. The
 * request travels as JSON on stdin, the answer as one JSON line on stdout.
 */
export interface HostAddonFacts {
  /** Odoo's own addons directories, in the order addons_path lists them, with their modules. */
  odooAddons: {path: string; modules: string[]}[]
  /** `external_dependencies.python` names the host's python3 cannot find. */
  missingPython: string[]
  /** Entries of the addons root: release directories and leftovers of killed uploads, with their age on the host's clock. */
  entries: {name: string; ageSeconds: number}[]
  /** Releases that the service configs given name in their addons_path (kept by prune whatever the records say). */
  referenced: string[]
}

export interface HostFactsRequest {
  /** `external_dependencies.python` names to look for. */
  python: string[]
  /** Odoo configs on the host whose addons_path entries must survive a prune. */
  configs: string[]
  root?: string
}

/**
 * The probe. The `odoo` package is found with importlib (never imported: its __init__ would
 * run as a side effect, and 19.0's is a namespace package); its `addons/` holds every module
 * of the Debian package, and a source checkout keeps the others in `addons/` beside it.
 * Python dependencies are looked for as Odoo does (odoo/modules/module.py
 * check_python_external_dependency): a distribution of that name, else an importable module.
 */
export const HOST_FACTS_SCRIPT = String.raw`
import importlib.util, json, os, re, sys, time
try:
    import importlib.metadata as metadata
except ImportError:
    metadata = None

request = json.load(sys.stdin)


def modules_in(path):
    try:
        names = sorted(os.listdir(path))
    except OSError:
        return []
    return [n for n in names if any(os.path.isfile(os.path.join(path, n, m)) for m in ('__manifest__.py', '__openerp__.py'))]


addons = []
try:
    spec = importlib.util.find_spec('odoo')
except Exception:
    spec = None
seen = set()
for package in (list(spec.submodule_search_locations or []) if spec else []):
    package = os.path.abspath(package)
    for candidate in (os.path.join(package, 'addons'), os.path.join(os.path.dirname(package), 'addons')):
        if candidate in seen:
            continue
        seen.add(candidate)
        modules = modules_in(candidate)
        if modules:
            addons.append({'path': candidate, 'modules': modules})


def found(name):
    base = re.match(r'[A-Za-z0-9_.\-]*', name).group(0)
    if not base:
        return False
    if metadata is not None:
        try:
            metadata.distribution(base)
            return True
        except Exception:
            pass
    try:
        return importlib.util.find_spec(base) is not None
    except Exception:
        return False


root = request['root']
entries = []
now = time.time()
try:
    names = sorted(os.listdir(root))
except OSError:
    names = []
for name in names:
    path = os.path.join(root, name)
    if os.path.isdir(path) and not os.path.islink(path):
        entries.append({'name': name, 'ageSeconds': max(0, int(now - os.lstat(path).st_mtime))})

referenced = set()
for config in request['configs']:
    try:
        with open(config, encoding='utf-8', errors='replace') as f:
            referenced.update(re.findall(re.escape(root) + '/([0-9a-f]{64})', f.read()))
    except OSError:
        pass

print(json.dumps({'odooAddons': addons, 'missingPython': [n for n in request['python'] if not found(n)],
                  'entries': entries, 'referenced': sorted(referenced)}))
`

/** The probe as run on the host: from / (python3 -c puts the working directory on sys.path), as the odoo user. */
export function hostFactsCommand() {
  return shell`cd / && ${command(['runuser', '-u', 'odoo', '--', 'python3', '-c', HOST_FACTS_SCRIPT])}`
}

export function hostFactsInput(request: HostFactsRequest): string {
  return JSON.stringify({python: [...new Set(request.python)].sort(), configs: request.configs, root: request.root ?? HOST_ADDONS_ROOT})
}

export async function probeHostFacts(conn: SshConnection, request: HostFactsRequest): Promise<HostAddonFacts> {
  const result = await conn.exec(hostFactsCommand(), {root: true, stdin: hostFactsInput(request), timeoutMs: 60_000})
  if (result.code !== 0) {
    const stderr = result.stderr.toString('utf8').trim().split('\n').slice(-5).join('\n')
    throw new OdoopsError('ADDONS_HOST_PROBE_FAILED', `Could not read the Odoo installation of ${conn.target.name} with its python3 (exit ${result.code ?? result.signal})${stderr ? `: ${stderr}` : '.'}`, {
      suggestions: [`Check that the host is prepared (it needs python3 and the odoo user): odoops host prepare ${conn.target.name} --odoo <series>`],
      data: {host: conn.target.name, stderr},
    })
  }
  return parseHostFacts(result.stdout.toString('utf8'))
}

function unexpected(detail: string): OdoopsError {
  return new OdoopsError('REMOTE_UNEXPECTED_OUTPUT', `Unexpected answer from the host's Odoo probe: ${detail}`, {
    suggestions: ['This is a bug in odoops or an unusual python3 on the host: please report it with the output of the command run with --verbose.'],
  })
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
const isAddonsDir = (value: unknown): value is {path: string; modules: string[]} => isObject(value) && typeof value.path === 'string' && isStringArray(value.modules)
const isEntry = (value: unknown): value is {name: string; ageSeconds: number} => isObject(value) && typeof value.name === 'string' && Number.isInteger(value.ageSeconds)
/** addons_path entries are split on commas by Odoo; a directory whose path cannot be written there is left out. */
const usableDir = (path: string) => path.startsWith('/') && !/[,\s]/.test(path)

/** The probe's last line of output, checked field by field. */
export function parseHostFacts(stdout: string): HostAddonFacts {
  const line = stdout.trim().split('\n').at(-1) ?? ''
  let raw: unknown
  try {
    raw = JSON.parse(line)
  } catch {
    throw unexpected(line.slice(0, 200) || '(nothing)')
  }
  if (!isObject(raw)) throw unexpected(line.slice(0, 200))
  const {odooAddons, missingPython, entries, referenced} = raw
  if (!Array.isArray(odooAddons) || !odooAddons.every(isAddonsDir)) throw unexpected('odooAddons is not a list of {path, modules}')
  if (!isStringArray(missingPython)) throw unexpected('missingPython is not a list of names')
  if (!Array.isArray(entries) || !entries.every(isEntry)) throw unexpected('entries is not a list of {name, ageSeconds}')
  if (!isStringArray(referenced)) throw unexpected('referenced is not a list of names')
  return {
    odooAddons: odooAddons.filter((dir) => usableDir(dir.path)).map(({path, modules}) => ({path, modules})),
    missingPython,
    entries: entries.map(({name, ageSeconds}) => ({name, ageSeconds})),
    referenced,
  }
}

/** The names of every module of Odoo itself on the host. */
export function coreModulesOf(facts: HostAddonFacts): Set<string> {
  return new Set(facts.odooAddons.flatMap((dir) => dir.modules))
}
