import {readFile} from 'node:fs/promises'
import {parseDocument, stringify} from 'yaml'
import {usageError} from '../errors.js'
import {writeFileAtomic} from '../fs/atomic-write.js'
import {documentData} from '../yaml-document.js'

/**
 * The one format of the files odoops hands passwords over in (`--credentials-file` of
 * `tenant create`, `onboard`, `backup restore --new-tenant`, `backup import`): YAML with the
 * tenant's URL, database and every initial login. Written mode 0600 through a new file
 * renamed over the path, so an existing world-readable file (or a symlink planted there)
 * never ends up holding the passwords.
 */
export interface CredentialsFile {
  url: string
  database: string
  logins: {login: string; password: string}[]
}

export async function writeCredentialsFile(path: string, credentials: CredentialsFile, heading: string): Promise<void> {
  const text = `# ${heading.replace(/\n/g, ' ')} Store them safely, then delete this file.\n` + stringify(credentials)
  try {
    await writeFileAtomic(path, text, {mode: 0o600})
  } catch (error) {
    throw usageError('CREDENTIALS_FILE_UNWRITABLE', `Cannot write the credentials file ${path}: ${(error as Error).message}`, [
      'Give --credentials-file a path in an existing directory you can write to.',
    ])
  }
}

export async function readCredentialsFile(path: string): Promise<CredentialsFile> {
  const doc = parseDocument(await readFile(path, 'utf8'))
  const built = doc.errors.length ? undefined : documentData(doc)
  const data = built && 'data' in built ? (built.data as Partial<CredentialsFile> | null) : null
  if (!data || !Array.isArray(data.logins)) {
    throw usageError('CREDENTIALS_FILE_INVALID', `${path} is not an odoops credentials file.`, ['It is written by --credentials-file of tenant create, onboard, backup restore and backup import.'])
  }
  return data as CredentialsFile
}
