import {createHash} from 'node:crypto'
import {isAbsolute, resolve} from 'node:path'
import {usageError} from '../../errors.js'
import {registerSecret} from '../../secrets/redact.js'

/**
 * Git URLs as odoops takes them: https/http, ssh, git and file URLs, `user@host:path` (scp
 * style) and local paths. Anything else is refused, transports that run commands (`ext::`)
 * and option-like text (`-u…`) included. A password or token in a URL is the user's: it is
 * passed to git, registered for redaction, and never printed nor written to disk by odoops.
 */

const SCHEME_URL = /^(https?|ssh|git|file):\/\//i
const SCP_LIKE = /^[\w.~][\w.~-]*@[\w.-]+:[^/\\]/

/** The URL git is given: local paths made absolute (git runs elsewhere); refused when not a git URL. */
export function checkGitUrl(url: string): string {
  // eslint-disable-next-line no-control-regex -- the control characters are the point
  const valid = !/[\u0000-\u001f\u007f]/.test(url) && (SCHEME_URL.test(url) || SCP_LIKE.test(url) || isAbsolute(url) || /^\.\.?\//.test(url))
  if (!valid) {
    throw usageError('ADDONS_GIT_URL_INVALID', `${JSON.stringify(redactGitUrls(url))} is not a git URL odoops takes.`, [
      'Use https://host/owner/repo.git, ssh://git@host/owner/repo.git, git@host:owner/repo.git, file:///path/to/repo or an absolute path.',
    ])
  }
  const normalized = /^\.\.?\//.test(url) ? resolve(url) : url
  registerUrlSecrets(normalized)
  return normalized
}

/** Text (a URL, a line git printed) with URL credentials removed: `https://user:pass@host` → `https://host`. */
export function redactGitUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^/\s@]+)@/gi, (whole, scheme: string, userinfo: string) =>
    // ssh://git@host names a user, not a secret; on http(s) a lone user part is usually a token.
    userinfo.includes(':') || /^https?:/i.test(scheme) ? scheme : whole,
  )
}

/** The password, or the token given as user name on http(s), for process-wide redaction. */
function registerUrlSecrets(url: string): void {
  const match = /^([a-z][a-z0-9+.-]*):\/\/([^/\s@]+)@/i.exec(url)
  if (!match) return
  const [user, password] = match[2].split(/:(.*)/s)
  const secret = password || (/^https?$/i.test(match[1]) ? user : undefined)
  if (secret === undefined) return
  registerSecret(secret)
  registerSecret(safeDecode(secret))
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The cache key of a repository: credentials left out, so a new token keeps the same mirror. */
export function mirrorKey(url: string): string {
  return createHash('sha256').update(redactGitUrls(url)).digest('hex').slice(0, 16)
}
