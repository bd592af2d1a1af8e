import {randomBytes} from 'node:crypto'
import {rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {execa, type Options} from 'execa'
import {ExitCode, isOdoopsError, OdoopsError, usageError} from '../../errors.js'
import {ensureDir} from '../../fs/ensure-dir.js'
import {checkGitUrl, mirrorKey, redactGitUrls} from './git-url.js'
import {Budget, type Refuse, type SourceLimits} from './limits.js'
import {shown} from './paths.js'
import {writeRelease, type Release} from './release-tar.js'
import {Spool} from './spool.js'
import {readTar} from './tar-reader.js'
import {buildTree} from './tree.js'

/**
 * A git repository pinned to a commit, as a release. One bare mirror per repository under
 * `<cacheDir>/addons/git/`, fetched at each pin; the ref resolved there to a full commit; the
 * commit's tree exported with `git archive` (so `export-ignore` attributes apply) into the
 * canonical release tar. Links inside the tree are followed, as for a folder (OCA's setup/).
 *
 * The mirror is `git init --bare` plus fetches from the URL given each time, not a
 * `clone --mirror`: the URL, which may hold a token, is never written into its config, and
 * only branches and tags are kept (not GitHub's thousands of refs/pull/*). git runs with the
 * user's environment, so their credential helper and ssh agent work, and never prompts.
 */
export interface GitPinOptions {
  cacheDir: string
  releasesDir: string
  limits?: SourceLimits
  /** Most time for one git command (fetch, archive), in ms. Default 10 minutes. */
  timeoutMs?: number
}

export interface GitRelease extends Release {
  /** The full SHA of the pinned commit. */
  commit: string
  /** The ref as given, or the remote's default branch when none was. */
  ref: string
  /** The same as `sha256`. */
  releaseSha256: string
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000
/** Refs as branch, tag or commit names: no revision syntax (`main~1`, `@{…}`), nothing git could take for an option. */
const REF = /^(?!-)[\w./+@#,=-]+$/

interface GitRun {
  exitCode: number
  stdout: string
  stderr: string
}

type GitEnv = NonNullable<Options['env']>

/** Over the user's own environment (execa extends it): git never waits for a password on a terminal. */
const BASE_ENV: GitEnv = {GIT_TERMINAL_PROMPT: '0'}

/**
 * The environment for talking to `url`. ssh prompts on its own (passphrases, unknown host
 * keys), whatever GIT_TERMINAL_PROMPT says: for ssh URLs, unless the user chose their ssh
 * command (GIT_SSH_COMMAND, GIT_SSH, core.sshCommand), it runs in batch mode, where the agent
 * and keys still work but what would be a prompt is a failure.
 */
async function remoteEnv(url: string, mirror: string, timeoutMs: number): Promise<GitEnv> {
  const ssh = /^ssh:\/\//i.test(url) || !/^[a-z][a-z0-9+.-]*:\/\/|^\.{0,2}\//i.test(url)
  if (!ssh || process.env.GIT_SSH_COMMAND || process.env.GIT_SSH) return BASE_ENV
  // The configuration the fetch will see: system, global, the mirror's.
  const configured = await git(['--git-dir', mirror, 'config', '--get', 'core.sshCommand'], timeoutMs)
  if (configured.exitCode === 0 && configured.stdout.trim() !== '') return BASE_ENV
  return {...BASE_ENV, GIT_SSH_COMMAND: 'ssh -o BatchMode=yes'}
}

function gitNotFound(): OdoopsError {
  return new OdoopsError('GIT_NOT_FOUND', 'git is not installed (or not on the PATH); odoops needs it to pin addons from git repositories.', {
    suggestions: ['Install it: sudo apt-get install git'],
  })
}

/** First line worth showing of what git printed (ssh's own error comes before git's "fatal:"), credentials removed. */
function gitMessage(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !/^(hint|warning):/.test(line))
  return redactGitUrls(lines[0] ?? 'no message').slice(0, 300)
}

function gitFailed(what: string, url: string, detail: string, mirror?: string): OdoopsError {
  return new OdoopsError('ADDONS_GIT_FAILED', `${what} ${url} failed: ${detail}`, {
    suggestions: [
      `Check the URL and that this machine can reach it: git ls-remote ${url}`,
      'Private repositories: odoops uses your own git credentials (credential helper, ssh agent, ~/.ssh/config); it stores none.',
      ...(mirror ? [`If the cached mirror is damaged, remove ${mirror} and pin again.`] : []),
    ],
    data: {url},
  })
}

async function git(args: string[], timeoutMs: number, env: GitEnv = BASE_ENV): Promise<GitRun> {
  const result = await execa('git', ['-c', 'protocol.ext.allow=never', ...args], {env, reject: false, stdin: 'ignore', timeout: timeoutMs})
  if ((result as {code?: string}).code === 'ENOENT') throw gitNotFound()
  if (result.timedOut) return {exitCode: -1, stdout: '', stderr: `fatal: timed out after ${Math.round(timeoutMs / 1000)} s`}
  return {exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr)}
}

export async function pinGit(url: string, ref: string | undefined, options: GitPinOptions): Promise<GitRelease> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const wanted = ref === undefined || ref === 'HEAD' ? undefined : checkRef(ref)
  const target = checkGitUrl(url)
  const display = redactGitUrls(target)
  const mirror = await ensureMirror(options.cacheDir, target, timeoutMs)
  const env = await remoteEnv(target, mirror, timeoutMs)

  const fetched = await git(['--git-dir', mirror, 'fetch', '--quiet', '--prune', target, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], timeoutMs, env)
  if (fetched.exitCode !== 0) throw gitFailed('Fetching', display, gitMessage(fetched.stderr))

  const name = wanted ?? (await remoteDefaultBranch(target, display, mirror, timeoutMs, env))
  // The default branch is named as a branch: a tag of the same name cannot stand in for it.
  const commit = await resolveCommit(mirror, wanted === undefined ? `refs/heads/${name}` : name, display, timeoutMs)
  if (commit === undefined) throw refNotFound(display, name, await branchesOf(mirror, timeoutMs))

  const release = await exportCommit(mirror, commit, `Repository ${display} at ${commit.slice(0, 12)}`, options)
  return {...release, commit, ref: name, releaseSha256: release.sha256}
}

function checkRef(ref: string): string {
  if (!REF.test(ref) || ref.includes('..') || ref.endsWith('/') || ref.endsWith('.lock')) {
    throw usageError('ADDONS_REF_INVALID', `${shown(ref)} is not a branch, tag or commit name.`, [
      'Give a branch (17.0), a tag (v1.2.0) or a commit SHA; revision expressions such as main~1 are not taken.',
    ])
  }
  return ref
}

/** The bare mirror of a repository, created (whole, by a rename) the first time. */
async function ensureMirror(cacheDir: string, url: string, timeoutMs: number): Promise<string> {
  const dir = join(cacheDir, 'addons', 'git')
  const mirror = join(dir, `${mirrorKey(url)}.git`)
  if ((await stat(join(mirror, 'objects')).catch(() => undefined))?.isDirectory()) return mirror
  await ensureDir(dir, {
    writable: true,
    invalid: (problem) =>
      new OdoopsError('ADDONS_GIT_FAILED', `Cannot create the git mirrors folder ${dir}: ${problem}.`, {exit: ExitCode.USAGE, suggestions: ['Check the odoops cache directory (ODOOPS_CACHE_DIR) is a folder that can be written.']}),
  })
  const temp = join(dir, `.${mirrorKey(url)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`)
  try {
    const made = await git(['init', '--bare', '--quiet', temp], timeoutMs)
    if (made.exitCode !== 0) throw new OdoopsError('ADDONS_GIT_FAILED', `Cannot create the git mirror in ${dir}: ${gitMessage(made.stderr)}`)
    await rename(temp, mirror).catch((error: NodeJS.ErrnoException) => {
      // Another pin made it meanwhile: theirs is as good.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
    })
  } finally {
    await rm(temp, {recursive: true, force: true})
  }
  return mirror
}

/** The branch the remote's HEAD names (what a clone checks out). */
async function remoteDefaultBranch(url: string, display: string, mirror: string, timeoutMs: number, env: GitEnv): Promise<string> {
  const listed = await git(['ls-remote', '--symref', url, 'HEAD'], timeoutMs, env)
  if (listed.exitCode !== 0) throw gitFailed('Reading the default branch of', display, gitMessage(listed.stderr))
  const branch = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(listed.stdout)?.[1]
  if (branch === undefined) {
    throw usageError('ADDONS_REF_NOT_FOUND', `${display} has no default branch (its HEAD names none).`, [
      'Give the branch, tag or commit to pin.',
      ...branchHint(await branchesOf(mirror, timeoutMs)),
    ])
  }
  return branch
}

/** The full SHA a ref names in the mirror, or undefined when it names no commit (rev-parse --quiet exits 1). */
async function resolveCommit(mirror: string, ref: string, display: string, timeoutMs: number): Promise<string | undefined> {
  const parsed = await git(['--git-dir', mirror, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`], timeoutMs)
  if (parsed.exitCode !== 0 && parsed.exitCode !== 1) throw gitFailed('Reading the mirror of', display, gitMessage(parsed.stderr), mirror)
  const commit = parsed.stdout.trim()
  return parsed.exitCode === 0 && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit) ? commit : undefined
}

/** A few branches, the most recently committed first, to suggest. */
async function branchesOf(mirror: string, timeoutMs: number): Promise<string[]> {
  const listed = await git(['--git-dir', mirror, 'for-each-ref', '--sort=-committerdate', '--count=8', '--format=%(refname:short)', 'refs/heads'], timeoutMs)
  return listed.exitCode === 0 ? listed.stdout.split('\n').filter((line) => line !== '') : []
}

function branchHint(branches: string[]): string[] {
  return branches.length > 0 ? [`Its branches include: ${branches.join(', ')}.`] : []
}

function refNotFound(display: string, ref: string, branches: string[]): OdoopsError {
  return usageError(
    'ADDONS_REF_NOT_FOUND',
    `${display} has no branch, tag or commit ${shown(ref)}.`,
    [...branchHint(branches), 'Give a branch, a tag, or a commit SHA (whole, or its first 7 characters or more) of that repository.'],
    {url: display, ref, branches},
  )
}

/** The commit's tree, as `git archive` streams it, into a release. */
async function exportCommit(mirror: string, commit: string, label: string, options: GitPinOptions): Promise<Release> {
  const refuse: Refuse = (entry, why) =>
    usageError('ADDONS_SOURCE_INVALID', `${label}: ${shown(entry)} ${why}.`, ['Releases take plain files and folders, and links that stay inside the repository.'], {entry})
  const budget = new Budget(options.limits, (entry, why) =>
    usageError('ADDONS_SOURCE_TOO_LARGE', `${label}: ${entry === '' ? 'the tree' : shown(entry)} ${why}.`, ['Pin a repository of Odoo modules, not one that carries large data.'], {entry}),
  )
  const spool = await Spool.create(options.releasesDir)
  const archive = execa('git', ['--git-dir', mirror, 'archive', '--format=tar', commit], {
    env: BASE_ENV,
    reject: false,
    stdin: 'ignore',
    buffer: {stdout: false},
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  })
  try {
    let entries
    try {
      entries = await readTar(archive.stdout, {
        spool,
        budget,
        refuse,
        links: 'keep',
        corrupt: (why) => new OdoopsError('ADDONS_GIT_FAILED', `git archive of ${label} gave no readable tar: ${why}`),
      })
    } catch (error) {
      archive.kill()
      const ended = await archive
      if ((ended as {code?: string}).code === 'ENOENT') throw gitNotFound()
      // A tar cut short because git failed: git's message says why.
      if (!isOdoopsError(error) || error.code === 'ADDONS_GIT_FAILED') {
        if (ended.exitCode !== undefined && ended.exitCode !== 0) throw gitFailed('git archive of', label.replace(/^Repository /, ''), gitMessage(String(ended.stderr)), mirror)
      }
      throw error
    }
    const ended = await archive
    if ((ended as {code?: string}).code === 'ENOENT') throw gitNotFound()
    if (ended.exitCode !== 0) throw gitFailed('git archive of', label.replace(/^Repository /, ''), gitMessage(String(ended.stderr)), mirror)
    return await writeRelease(buildTree(entries, {label, refuse, budget}), options.releasesDir)
  } finally {
    await spool.dispose()
  }
}
