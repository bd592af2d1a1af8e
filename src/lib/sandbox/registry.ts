import {closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {OdoopsError} from '../errors.js'
import {writeFileAtomicSync} from '../fs/atomic-write.js'
import {acquireLockFile, removeLockIfOwned} from '../state/file-lock.js'

/**
 * The sandboxes of one odoops data directory: `<dataDir>/sandboxes/<name>.json` (what runs,
 * with which PID, subnet and keys) and `<dataDir>/sandboxes/<name>/` (its key pairs, the files
 * bind-mounted into it, the nspawn log). A name is taken by creating its record file
 * exclusively, so two parallel `up` calls never get the same name.
 */
export interface SandboxRecord {
  name: string
  /** nspawn machine name, `odoops-<index>`; also names the veth `ve-odoops-<index>`. */
  machine: string
  /** Subnet 10.77.<index>.0/24. */
  index: number
  address: string
  hostAddress: string
  port: number
  user: string
  identityFile: string
  /** Pinned host key fingerprint, `SHA256:…`. */
  hostKey: string
  hostKeyDir: string
  image: string
  imageDir: string
  logFile: string
  state: 'starting' | 'running'
  /** The process running `up` for it (a `starting` record whose owner died is stale). */
  ownerPid?: number
  /** systemd-nspawn's PID (absent until started). */
  pid?: number
  proxyPort?: number
  /** The container's init and its ephemeral root copy, to clean up after an unclean end. */
  initPid?: number
  ephemeralDir?: string
  bootSeconds?: number
  registered: boolean
  fixtureAptDir?: string
  createdAt: string
}

export const SANDBOX_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/

export class SandboxRegistry {
  readonly dir: string

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'sandboxes')
  }

  recordFile(name: string): string {
    return join(this.dir, `${name}.json`)
  }

  sandboxDir(name: string): string {
    return join(this.dir, name)
  }

  /** Take `name`: false when a sandbox of that name exists. */
  claim(record: SandboxRecord): boolean {
    mkdirSync(this.dir, {recursive: true, mode: 0o700})
    let fd: number
    try {
      fd = openSync(this.recordFile(record.name), 'wx', 0o600)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    }
    try {
      writeSync(fd, JSON.stringify(record, null, 2) + '\n')
    } finally {
      closeSync(fd)
    }
    return true
  }

  write(record: SandboxRecord): void {
    writeFileAtomicSync(this.recordFile(record.name), JSON.stringify(record, null, 2) + '\n', {mode: 0o600})
  }

  read(name: string): SandboxRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.recordFile(name), 'utf8')) as SandboxRecord
    } catch {
      return undefined
    }
  }

  list(): SandboxRecord[] {
    let entries: string[]
    try {
      entries = readdirSync(this.dir)
    } catch {
      return []
    }
    return entries
      .filter((entry) => entry.endsWith('.json') && SANDBOX_NAME.test(entry.slice(0, -5)))
      .map((entry) => this.read(entry.slice(0, -5)))
      .filter((record): record is SandboxRecord => record !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
  }

  /** Forget a sandbox: its files and its record. */
  remove(name: string): void {
    rmSync(this.sandboxDir(name), {recursive: true, force: true})
    rmSync(this.recordFile(name), {force: true})
  }

  /** Serialise decisions about the shared parts (the package proxy) between processes. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    mkdirSync(this.dir, {recursive: true, mode: 0o700})
    const lockFile = join(this.dir, 'registry.lock')
    const owner = `sandbox-registry-${process.pid}`
    const got = await acquireLockFile(lockFile, owner, {ttlMs: 60_000, timeoutMs: 60_000})
    if (!got.ok) {
      throw new OdoopsError('SANDBOX_BUSY', `Another odoops process (PID ${got.holder?.pid ?? '?'}) is changing sandboxes.`, {
        exit: 4,
        suggestions: ['Wait for it to finish, then try again.'],
      })
    }
    try {
      return await fn()
    } finally {
      removeLockIfOwned(lockFile, owner)
    }
  }
}
