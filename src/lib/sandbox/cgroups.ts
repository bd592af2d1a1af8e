import {mkdirSync, readdirSync, readFileSync, rmdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

/**
 * A cgroup of its own for each sandbox. With `--keep-unit` (no host systemd to ask for a
 * scope), systemd-nspawn builds the container's tree (`payload/`, `supervisor/`) inside the
 * cgroup nspawn itself runs in. Two sandboxes started from the same shell therefore share one
 * `payload/`: both containers' systemd manage the very same `system.slice/<unit>` directories,
 * and one removing an emptied unit cgroup makes the other fail to start that unit ("Failed at
 * step CGROUP spawning …: No such file or directory", seen on CI as a `degraded` boot).
 * Starting each nspawn in `<our cgroup>/<machine>` on the hierarchies systemd uses
 * (the named v1 `systemd` one and the v2 unified one) keeps the containers apart.
 */

interface Hierarchy {
  /** Where the hierarchy is mounted, e.g. /sys/fs/cgroup/systemd. */
  mountPoint: string
  /** Our own cgroup in it, from /proc/self/cgroup. */
  ownPath: string
}

/** Mount points of the cgroup hierarchies systemd uses: named v1 `systemd`, and cgroup2. */
function systemdHierarchies(): Hierarchy[] {
  let mountinfo: string
  let ownCgroups: string
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')
    ownCgroups = readFileSync('/proc/self/cgroup', 'utf8')
  } catch {
    return []
  }
  // /proc/self/cgroup: "9:name=systemd:/path" for v1, "0::/path" for v2.
  const ownPathOf = (controllers: string) =>
    ownCgroups.split('\n').map((line) => line.split(':')).find((fields) => fields.length >= 3 && fields[1] === controllers)?.slice(2).join(':')
  const found: Hierarchy[] = []
  for (const line of mountinfo.split('\n')) {
    // mountinfo: fields before " - " describe the mount; after it: fstype, source, super options.
    const [before, after] = line.split(' - ')
    if (!before || !after) continue
    const mountPoint = before.split(' ')[4]
    const [fsType, , superOptions = ''] = after.split(' ')
    const controllers = fsType === 'cgroup2' ? '' : fsType === 'cgroup' && superOptions.split(',').includes('name=systemd') ? 'name=systemd' : undefined
    if (controllers === undefined || !mountPoint) continue
    const ownPath = ownPathOf(controllers)
    if (ownPath !== undefined) found.push({mountPoint, ownPath})
  }
  return found
}

/** The machine name (`odoops-<n>`, unique on this machine) names the cgroup too. */
function cgroupName(machine: string): string {
  return machine
}

/**
 * Create the sandbox's cgroup on every systemd hierarchy we may write to; returns the
 * directories made (empty where there is no cgroup file system or no right to write it:
 * nspawn then runs where it is, as before).
 */
export function prepareSandboxCgroups(machine: string): string[] {
  const dirs: string[] = []
  for (const {mountPoint, ownPath} of systemdHierarchies()) {
    const dir = join(mountPoint, ownPath, cgroupName(machine))
    try {
      mkdirSync(dir, {recursive: false})
      dirs.push(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') dirs.push(dir)
    }
  }
  return dirs
}

/** Remove a stopped sandbox's cgroups, innermost first (cgroups are removed with rmdir). */
export function removeSandboxCgroups(machine: string): void {
  for (const {mountPoint, ownPath} of systemdHierarchies()) removeTree(join(mountPoint, ownPath, cgroupName(machine)))
}

function removeTree(dir: string): void {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const entry of entries) {
    const child = join(dir, entry)
    try {
      if (statSync(child).isDirectory()) removeTree(child)
    } catch {
      // gone meanwhile
    }
  }
  try {
    rmdirSync(dir)
  } catch {
    // still in use (a process left in it) or gone: leave it
  }
}

/**
 * The command line that moves itself into `dirs` and then becomes `command` (same PID, so
 * the PID recorded for the sandbox is nspawn's). Without dirs, the command as it is.
 */
export function inCgroups(dirs: string[], command: string, args: string[]): {command: string; args: string[]} {
  if (dirs.length === 0) return {command, args}
  const script = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 125; shift; done; shift; exec "$@"'
  return {command: '/bin/sh', args: ['-c', script, 'sh', ...dirs, '--', command, ...args]}
}
