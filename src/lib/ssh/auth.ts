import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'
import ssh2 from 'ssh2'
import type {AgentAuthMethod, ParsedKey, PublicKeyAuthMethod} from 'ssh2'
import {OdoopsError, messageOf} from '../errors.js'
import {registerSecret} from '../secrets/redact.js'
import type {SshTarget} from './target.js'

/** Asks for the passphrase of an encrypted key (given only when a terminal can answer). */
export type PassphrasePrompt = (keyFile: string) => Promise<string>

export interface AuthPlan {
  /** In order: ssh-agent first, then the identity file(s); passed as ssh2 `authHandler`. */
  methods: (AgentAuthMethod | PublicKeyAuthMethod)[]
  /** Human names of what will be tried, for the SSH_AUTH_FAILED message. */
  tried: string[]
  /** Why a key was left out (e.g. encrypted and nobody to ask). */
  notes: string[]
}

/** The keys OpenSSH tries by default when no IdentityFile is set. */
const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa']

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

/**
 * Authentication order: ssh-agent (SSH_AUTH_SOCK) first, then the identity file (or the
 * default ~/.ssh keys). ssh2 tries an `authHandler` array in order (ssh2 README, Client
 * `connect` config, "authHandler": an array of objects with type/username/credentials).
 * An encrypted key is decrypted here with a passphrase asked through `prompt` (a TTY
 * only); without one the key is skipped and the reason reported if authentication fails.
 */
export async function planAuth(target: SshTarget, options: {agentSocket?: string | null; prompt?: PassphrasePrompt}): Promise<AuthPlan> {
  const plan: AuthPlan = {methods: [], tried: [], notes: []}
  const agent = options.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : options.agentSocket
  if (agent && existsSync(agent)) {
    plan.methods.push({type: 'agent', username: target.user, agent})
    plan.tried.push('ssh-agent')
  }
  const files = target.identityFile ? [expandHome(target.identityFile)] : DEFAULT_IDENTITIES.map((f) => join(homedir(), '.ssh', f)).filter((f) => existsSync(f))
  for (const file of files) {
    const key = await loadKey(file, target, options.prompt, plan.notes)
    if (key) {
      plan.methods.push({type: 'publickey', username: target.user, key})
      plan.tried.push(`key ${file}`)
    }
  }
  return plan
}

async function loadKey(file: string, target: SshTarget, prompt: PassphrasePrompt | undefined, notes: string[]): Promise<ParsedKey | undefined> {
  let data: Buffer
  try {
    data = await readFile(file)
  } catch (error) {
    throw new OdoopsError('SSH_IDENTITY_UNREADABLE', `Cannot read the identity file ${file} for "${target.name}": ${messageOf(error)}.`, {
      suggestions: [`Check the path given with --identity (or IdentityFile in ~/.ssh/config), and its permissions.`],
      data: {host: target.name, file},
    })
  }
  let parsed = ssh2.utils.parseKey(data)
  if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
    if (!prompt) {
      notes.push(`The key ${file} is encrypted and no passphrase can be asked here (not a terminal): load it into ssh-agent (ssh-add ${file}).`)
      return undefined
    }
    const passphrase = await prompt(file)
    registerSecret(passphrase)
    parsed = ssh2.utils.parseKey(data, passphrase)
    if (parsed instanceof Error) {
      throw new OdoopsError('SSH_AUTH_FAILED', `Cannot decrypt ${file}: wrong passphrase (${parsed.message}).`, {
        suggestions: ['Type the passphrase again, or load the key into ssh-agent (ssh-add) once.'],
        data: {host: target.name, file},
      })
    }
  }
  if (parsed instanceof Error) {
    throw new OdoopsError('SSH_IDENTITY_INVALID', `${file} is not a private key odoops can use: ${parsed.message}.`, {
      suggestions: ['Give the private key file (not the .pub), in OpenSSH or PEM format.'],
      data: {host: target.name, file},
    })
  }
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed
}
